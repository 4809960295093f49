-- What recall's vector search reads, faster on both backends.
--
-- DuckDB: vectors of the shipped local model's dimension (256) are kept a second time as a
-- fixed-size array: `array_cosine_similarity` over FLOAT[256] ranks a tenant's 10,000 vectors in
-- about two thirds of the time `list_cosine_similarity` takes over the variable-length list.
-- Vectors of other dimensions (a remote model's 1,536) keep the list alone.
--
-- PostgreSQL (vectors ranked in numpy over a prefiltered set): the tenant's most recent entries
-- are read newest first from an index instead of sorting all of them.

-- migrate:up
-- only: duckdb
ALTER TABLE memory_vectors ADD COLUMN vector_256 FLOAT[256];
-- only: duckdb
UPDATE memory_vectors SET vector_256 = vector::FLOAT[256] WHERE dimension = 256;
-- only: postgres
CREATE INDEX memory_entries_recent ON memory_entries (tenant_id, created_at);

-- migrate:down
-- only: duckdb
ALTER TABLE memory_vectors DROP COLUMN vector_256;
-- only: postgres
DROP INDEX memory_entries_recent;
