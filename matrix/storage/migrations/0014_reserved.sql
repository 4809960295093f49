-- Reserved: this version number belongs to a migration developed beside this one. When both are
-- merged, that migration replaces this file, which does nothing.

-- migrate:up

-- migrate:down
-- nothing to undo
