-- Nothing to do on Postgres: its link counts have been pending in `link_counts_packed`
-- since migration 0021. (On SQLite this migration adds that table: its counters are now
-- folded in the background too.) Kept so both backends number their migrations alike.
SELECT 1;
