-- Nothing to do on SQLite: a batch of clicks still updates its links' counters in its own
-- transaction (a fold there holds SQLite's one write lock while it updates every counter,
-- and batches wait for it: bench/README.md, "Counters folded in the background").
-- (On Postgres this migration adds `link_counts_pending`, folded in the background.)
SELECT 1;
