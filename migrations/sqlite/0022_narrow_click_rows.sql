-- Narrow click rows on SQLite too, as on Postgres since its 0019: a click row
-- (`click_rows`) holds two integer codes instead of eleven texts, one for the visitor's
-- traits (`click_traits`) and one for how the visit came (`click_origins`), and `clicks`
-- becomes a view that joins them back, so every query reads clicks as before. The
-- recorder binds seven numbers and a key a click instead of sixteen values: SQLite copied,
-- stored and freed every text of every click (bench/README.md, "Narrow click rows on
-- SQLite"). The row keeps no foreign key to `links` (a lookup a click; links are never
-- deleted, only marked), as on Postgres since its 0018.
--
-- Rewrites every click (about a second per million): stop openpxl, migrate, start it.

CREATE TABLE click_traits (
    id       INTEGER PRIMARY KEY,
    country  TEXT NOT NULL,
    city     TEXT NOT NULL,
    device   TEXT NOT NULL,
    browser  TEXT NOT NULL,
    os       TEXT NOT NULL,
    language TEXT NOT NULL,
    UNIQUE (country, city, device, browser, os, language)
);

CREATE TABLE click_origins (
    id       INTEGER PRIMARY KEY,
    outcome  TEXT NOT NULL,
    referrer TEXT NOT NULL,
    source   TEXT NOT NULL,
    medium   TEXT NOT NULL,
    campaign TEXT NOT NULL,
    UNIQUE (outcome, referrer, source, medium, campaign)
);

CREATE TABLE click_rows (
    id      INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL,
    link_id INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    visitor BLOB,             -- 8 bytes; NULL only for old clicks that had no key
    traits  INTEGER NOT NULL,
    origin  INTEGER NOT NULL,
    bot     INTEGER NOT NULL  -- boolean 0/1
);

INSERT INTO click_traits (country, city, device, browser, os, language)
SELECT DISTINCT country, city, device, browser, os, language FROM clicks;

INSERT INTO click_origins (outcome, referrer, source, medium, campaign)
SELECT DISTINCT outcome, referrer, source, medium, COALESCE(campaign, '') FROM clicks;

INSERT INTO click_rows (id, org_id, link_id, at, visitor, traits, origin, bot)
SELECT c.id, c.org_id, c.link_id, c.at, c.visitor, t.id, o.id, c.bot
FROM clicks c
JOIN click_traits t
  ON (t.country, t.city, t.device, t.browser, t.os, t.language)
   = (c.country, c.city, c.device, c.browser, c.os, c.language)
JOIN click_origins o
  ON (o.outcome, o.referrer, o.source, o.medium, o.campaign)
   = (c.outcome, c.referrer, c.source, c.medium, COALESCE(c.campaign, ''))
ORDER BY c.id;

DROP TABLE clicks;

CREATE INDEX click_rows_org_at_idx ON click_rows (org_id, at);

-- The clicks as they were: one row per click with its values. LEFT JOINs on the
-- dictionaries' keys, so a query that names no column of a dictionary does not read it.
CREATE VIEW clicks AS
SELECT r.id, r.org_id, r.link_id, r.at, r.bot, o.outcome, r.visitor,
       t.country, t.city, t.device, t.browser, t.os,
       o.referrer, o.source, o.medium, o.campaign, t.language
FROM click_rows r
LEFT JOIN click_traits t ON t.id = r.traits
LEFT JOIN click_origins o ON o.id = r.origin;

-- Imports (and hand-made inserts) still write whole clicks into `clicks`: each row's
-- values go to the dictionaries (if new) and the row to `click_rows` with their codes. The
-- recorder writes `click_rows` directly, with codes it keeps in memory.
CREATE TRIGGER clicks_insert INSTEAD OF INSERT ON clicks
BEGIN
    INSERT INTO click_traits (country, city, device, browser, os, language)
    VALUES (NEW.country, NEW.city, NEW.device, NEW.browser, NEW.os, NEW.language)
    ON CONFLICT DO NOTHING;
    INSERT INTO click_origins (outcome, referrer, source, medium, campaign)
    VALUES (COALESCE(NEW.outcome, ''), NEW.referrer, NEW.source, NEW.medium,
            COALESCE(NEW.campaign, ''))
    ON CONFLICT DO NOTHING;
    INSERT INTO click_rows (org_id, link_id, at, visitor, traits, origin, bot)
    VALUES (NEW.org_id, NEW.link_id, NEW.at, NEW.visitor,
            (SELECT id FROM click_traits
             WHERE (country, city, device, browser, os, language)
                 = (NEW.country, NEW.city, NEW.device, NEW.browser, NEW.os, NEW.language)),
            (SELECT id FROM click_origins
             WHERE (outcome, referrer, source, medium, campaign)
                 = (COALESCE(NEW.outcome, ''), NEW.referrer, NEW.source, NEW.medium,
                    COALESCE(NEW.campaign, ''))),
            NEW.bot);
END;
