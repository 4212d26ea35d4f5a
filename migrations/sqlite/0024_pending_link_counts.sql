-- Link counters folded in the background on SQLite too, as on Postgres since migrations
-- 0020 and 0021: a batch of clicks adds its counts per link here as one row of packed
-- bytes (32 bytes a link: link, organization, clicks, time of the last click, each a
-- little-endian 8-byte integer; src/store/link_counts.rs), in its own transaction, and a
-- fold every few seconds adds them up into `link_counters`, one update per link. Updating
-- the counters in every batch rewrote, on 100,000 random links, nearly every page of
-- `link_counters` in every batch's transaction (bench/README.md, "Counters folded in the
-- background on SQLite").
--
-- Additive: an instance of the previous version keeps updating its counters in its
-- batches; a new one folds what is pending here when it starts.
CREATE TABLE link_counts_packed (
    counts BLOB NOT NULL
);
