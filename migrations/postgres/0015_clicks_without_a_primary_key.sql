-- `clicks` is written a row per visit and read by time (clicks_org_at_idx), never by its
-- id: the primary key's index cost every visit an index insertion and 22 bytes per click
-- (214 MB at 10 million clicks). The id column stays (exports order by it).
-- bench/README.md, "Clicks without a primary key".
ALTER TABLE clicks DROP CONSTRAINT clicks_pkey;
