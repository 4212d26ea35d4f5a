-- The foreign key of link_counters.link_id: a fold that adds a counter for a link's first
-- click checked the link (a lookup and a row lock) for every such counter, a fifth of
-- Postgres's CPU a click while 100,000 links got their first clicks (bench/README.md,
-- "Counters without a foreign key"). It guards nothing, as the key of clicks.link_id
-- guarded nothing (migration 0018): links are never deleted (a deleted link is kept, with
-- `deleted_at`), and counters are written only for links a click or an import has just
-- found or created. (SQLite's recorder already writes on a connection that checks no
-- foreign keys.)
ALTER TABLE link_counters DROP CONSTRAINT IF EXISTS link_counters_link_id_fkey;
