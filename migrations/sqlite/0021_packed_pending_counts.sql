-- Nothing to do on SQLite: its batches update their links' counters in their own
-- transaction. (On Postgres this migration adds `link_counts_packed`, the pending link
-- counts as packed bytes.) Kept so both backends number their migrations alike.
SELECT 1;
