-- Click counting moves out of the wide links rows, the visitor key gets its daily salt,
-- and clicks keep only the index every organization's analytics needs.

-- links.updated_at stays the last change of the link itself; the API shows the later of it
-- and link_counters.last_click_at.
ALTER TABLE links DROP COLUMN clicks;

-- Every index on clicks is paid for on each click written; analytics adds what it needs.
DROP INDEX clicks_link_at_idx;

-- Human clicks per link, kept by the click recorder. A narrow table of its own, so that
-- counting a batch of clicks rewrites small rows, not the links' wide ones.
CREATE TABLE link_counters (
    link_id       BIGINT PRIMARY KEY REFERENCES links (id),
    org_id        BIGINT NOT NULL,
    clicks        BIGINT NOT NULL,
    last_click_at BIGINT NOT NULL
);

-- The daily salt of the unique-visitor key, shared by every instance. Only today's and
-- yesterday's are kept; older ones are deleted by the recorder.
CREATE TABLE visitor_salts (
    day  BIGINT PRIMARY KEY,  -- days since 1970-01-01 UTC
    salt BYTEA  NOT NULL
);
