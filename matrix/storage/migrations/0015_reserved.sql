-- Reserved: keeps the numbering contiguous until the migration developed beside this one takes
-- this number. When it lands, it replaces this file (a store that applied this one has nothing
-- to undo: both sections are no-ops).

-- migrate:up
SELECT 1;

-- migrate:down
SELECT 1;
