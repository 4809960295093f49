-- BM25 reads the length of each entry beside its terms, so the lexical search no longer joins
-- the entries (a second scan of a tenant's entries for every recall). An entry's text, and so
-- its length, never changes after it is written. Recall checks the status of what the search
-- ranks when it reads the candidates, as it does for the vector search.

-- migrate:up
ALTER TABLE memory_terms ADD COLUMN doc_len INTEGER;
UPDATE memory_terms SET doc_len = (SELECT e.doc_len FROM memory_entries e
    WHERE e.tenant_id = memory_terms.tenant_id AND e.memory_id = memory_terms.memory_id);

-- migrate:down
ALTER TABLE memory_terms DROP COLUMN doc_len;
