-- Clicks written late (more than a minute after the visit: after a database outage, or
-- by an import) change their day's mark to a new random number, in the transaction of
-- the clicks. A server that keeps today's clicks rolled up in memory (analytics/live.rs)
-- compares the mark with the one it saw when it read the day, and reads the day again
-- when it changed: the late clicks may fall in quarter hours it has already counted.
ALTER TABLE dirty_days ADD COLUMN mark BIGINT NOT NULL DEFAULT 0;
