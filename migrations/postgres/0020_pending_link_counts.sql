-- A link's counter was updated in every batch of clicks that had a click of it: with
-- visits spread over 100,000 links that is one row update per click, 5.5 µs of Postgres's
-- CPU, twice what the click's own row costs (bench/README.md, "Counters folded in the
-- background"). Now a batch adds one row here, its counts per link as arrays, in the
-- transaction of its clicks; a background fold (src/store/link_counts.rs) takes the rows
-- with `DELETE ... RETURNING` and adds them up into `link_counters`, once per link for
-- all the batches since the last fold. Nothing is counted twice or lost: a row is in the
-- database exactly as long as its clicks are not yet in a counter.
CREATE TABLE link_counts_pending (
    links BIGINT[] NOT NULL,
    orgs BIGINT[] NOT NULL,
    clicks BIGINT[] NOT NULL,
    last_at BIGINT[] NOT NULL
);
-- The arrays are kept uncompressed: compressing them cost more of Postgres's time than
-- the rest of the row's write (0.23 µs a link against 0.05 µs).
ALTER TABLE link_counts_pending
    ALTER COLUMN links SET STORAGE EXTERNAL,
    ALTER COLUMN orgs SET STORAGE EXTERNAL,
    ALTER COLUMN clicks SET STORAGE EXTERNAL,
    ALTER COLUMN last_at SET STORAGE EXTERNAL;
