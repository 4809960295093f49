"""Ready-made real services for tests, benchmarks and gates (a throwaway PostgreSQL)."""
