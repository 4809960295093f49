"""Business modules: their values, rules and repository protocols (storage implements them)."""
