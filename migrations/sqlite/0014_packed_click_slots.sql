-- The slot rows of 0003 (per organization, link or domain, day and quarter hour: the
-- clicks, and the visitors whose first and last click of the day fall in it), packed: one
-- row per organization, link or domain and day, with its quarter hours that had clicks in
-- `slots`, 13 bytes each, in slot order: the slot (1 byte), then clicks, first visitors
-- and last visitors (4 bytes each, big-endian). A row per quarter hour cost about 100
-- bytes with its index entry, and nearly a row per click for links with a few clicks a
-- day (docs/ARCHITECTURE.md, "Daily roll-ups"; src/store/slot_pack.rs reads and writes it).
CREATE TABLE daily_slot_counts (
    org_id  BIGINT NOT NULL,
    link_id BIGINT NOT NULL,  -- as in daily_clicks
    domain  TEXT   NOT NULL,  -- as in daily_clicks
    day     BIGINT NOT NULL,  -- days since 1970-01-01 UTC
    slots   BLOB  NOT NULL,
    PRIMARY KEY (org_id, link_id, domain, day)
);

INSERT INTO daily_slot_counts (org_id, link_id, domain, day, slots)
SELECT org_id, link_id, domain, day,
       unhex(group_concat(printf('%02X%08X%08X%08X', slot, clicks, first_visitors,
                                      last_visitors), '' ORDER BY slot))
FROM daily_click_slots
GROUP BY org_id, link_id, domain, day;

DROP TABLE daily_click_slots;
