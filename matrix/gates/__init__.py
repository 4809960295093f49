"""Gates: notebooks executed by papermill as quality gates, with checks, verdicts and reports."""
