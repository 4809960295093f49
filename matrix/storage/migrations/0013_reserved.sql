-- Reserved: keeps the numbering contiguous until the task-outbox migration takes this number.
-- When that migration lands, it replaces this file (a store that applied this one has nothing
-- to undo: both sections are no-ops).

-- migrate:up
SELECT 1;

-- migrate:down
SELECT 1;
