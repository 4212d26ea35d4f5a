-- Closed UTC days of human clicks, pre-aggregated for the insight API. A day is rolled up
-- once it has ended (plus a grace period) by the roll-up task; the insight reads rolled-up
-- days from here and everything else (today, partial days, dirty days) from `clicks`.
-- Unique visitors stay exact: visitor keys are scoped to one UTC day and determine the
-- visitor's traits (country, city, device, browser, os), so the `visitors` of rows that
-- differ in day, in the value of a trait, or in all traits together add up.
-- See docs/ARCHITECTURE.md, "Analytics".
--
-- Two kinds of rows:
-- * value rows (per_traits = 0), per organization, per link and per domain: clicks and
--   visitors per value of one dimension ('all' with value '' for every click; 'country',
--   'city', 'device', 'browser', 'os', 'source', 'medium', 'referrer', 'language'); the
--   trait columns are ''. They answer the unfiltered insight of an organization, a link
--   or a domain.
-- * trait rows (per_traits = 1), per organization only: clicks and visitors per visitor
--   traits and value of at most one click-varying dimension ('' for every click, 'source',
--   'medium', 'referrer', 'language'). They answer insights filtered by traits, source or
--   medium.
CREATE TABLE daily_clicks (
    org_id     BIGINT  NOT NULL,
    link_id    BIGINT  NOT NULL,  -- the link's rows, or 0
    domain     TEXT    NOT NULL,  -- the domain's rows, or ''; both 0 and '': the organization's
    per_traits INTEGER NOT NULL,  -- 0: a value row, 1: a trait row
    dimension  TEXT    NOT NULL,
    day        BIGINT  NOT NULL,  -- days since 1970-01-01 UTC
    value      TEXT    NOT NULL,
    country    TEXT    NOT NULL,
    city       TEXT    NOT NULL,
    device     TEXT    NOT NULL,
    browser    TEXT    NOT NULL,
    os         TEXT    NOT NULL,
    clicks     BIGINT  NOT NULL,
    visitors   BIGINT  NOT NULL
);
CREATE INDEX daily_clicks_question_idx
    ON daily_clicks (org_id, link_id, domain, per_traits, dimension, day);

-- Per closed UTC day and quarter of an hour (slot 0 = 00:00-00:15 UTC ... 95), per
-- organization, per link and per domain, unfiltered: the clicks in the slot, and how many
-- visitors clicked first, and last, in it that day. A visitor clicked in the first n slots
-- of a day if its first click is in one of them, and in the last ones if its last click
-- is: so the unique visitors of any part of a day that begins or ends at a quarter hour
-- add up exactly. That is what local days of other zones are made of (the end of one UTC
-- day and the start of the next; every zone's offset is a whole number of quarter hours).
CREATE TABLE daily_click_slots (
    org_id         BIGINT  NOT NULL,
    link_id        BIGINT  NOT NULL,  -- as in daily_clicks
    domain         TEXT    NOT NULL,  -- as in daily_clicks
    day            BIGINT  NOT NULL,  -- days since 1970-01-01 UTC
    slot           BIGINT  NOT NULL,  -- quarter hour of the day, 0 to 95
    clicks         BIGINT  NOT NULL,
    first_visitors BIGINT  NOT NULL,
    last_visitors  BIGINT  NOT NULL
);
CREATE INDEX daily_click_slots_scope_day_idx ON daily_click_slots (org_id, link_id, domain, day);

-- The days whose roll-up is complete. A day is read from `daily_clicks` only if it is here
-- and not in `dirty_days`.
CREATE TABLE rolled_up_days (
    org_id    BIGINT NOT NULL,
    day       BIGINT NOT NULL,
    rolled_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, day)
);

-- Days that received clicks near or after their end: their roll-up (if any) may miss
-- them and is redone. Written by the click recorder in the transaction of the clicks.
CREATE TABLE dirty_days (
    org_id BIGINT NOT NULL,
    day    BIGINT NOT NULL,
    PRIMARY KEY (org_id, day)
);
