-- Nothing to do on SQLite: its `clicks.id` is the rowid, which costs no index of its own.
-- (On Postgres this migration drops the primary key of `clicks`.)
SELECT 1;
