-- A batch's pending link counts as one packed value instead of four arrays (migration
-- 0020): Postgres parsed, stored and later unnested, added up and sorted every element of
-- those arrays, about one per click under load over many links (1.4 µs of its CPU per
-- click with 100,000 links). Now `counts` holds the batch's links as 32-byte records (link,
-- organization, clicks, time of the last click, each a little-endian 8-byte integer,
-- src/store/link_counts.rs); a fold takes the rows, openpxl adds them up, and one upsert
-- per fold writes the sums in link order. Postgres only stores and returns the bytes.
--
-- Additive: instances of the previous version keep writing and folding rows of arrays in
-- `link_counts_pending`, which they alone write; new instances write here and fold both
-- tables, so no count is lost or counted twice while both versions run.
CREATE TABLE link_counts_packed (
    counts BYTEA NOT NULL
);
-- Kept uncompressed, as the arrays were: compressing costs more than writing the bytes.
ALTER TABLE link_counts_packed ALTER COLUMN counts SET STORAGE EXTERNAL;
