-- The value rows of 0003 that belong to one link (clicks and unique visitors per
-- dimension and value, per day), packed: one row per link and day, its value rows in
-- `counts` as a JSON array of [dimension, value, clicks, visitors]. A link with a few
-- clicks a day had some thirty rows a day, about 130 bytes each with their index entry:
-- more bytes than its clicks (389 bytes per click at 1,000,000 clicks over 90 days on
-- 1,000 links), and most of the cost of rolling a day up. Value rows of the organization
-- and of domains, and trait rows, stay in daily_clicks. src/store/link_values.rs reads
-- and writes it.
CREATE TABLE daily_link_values (
    org_id  BIGINT NOT NULL,
    link_id BIGINT NOT NULL,
    day     BIGINT NOT NULL,  -- days since 1970-01-01 UTC
    counts  TEXT   NOT NULL,
    PRIMARY KEY (org_id, link_id, day)
);

INSERT INTO daily_link_values (org_id, link_id, day, counts)
SELECT org_id, link_id, day,
       json_group_array(json_array(dimension, value, clicks, visitors))
FROM daily_clicks
WHERE link_id <> 0
GROUP BY org_id, link_id, day;

DELETE FROM daily_clicks WHERE link_id <> 0;
