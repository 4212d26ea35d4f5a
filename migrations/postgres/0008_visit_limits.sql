-- A visit limit (docs/API.md §4.9): after `max_clicks` human visits the link counts as
-- expired. `limited_visits` counts the visits let through while a limit is set, taken one
-- at a time by an atomic UPDATE, so the limit is exact across instances.
ALTER TABLE links ADD COLUMN max_clicks BIGINT;
ALTER TABLE links ADD COLUMN limited_visits BIGINT NOT NULL DEFAULT 0;
