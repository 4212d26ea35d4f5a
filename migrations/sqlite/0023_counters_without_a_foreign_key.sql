-- Nothing to do on SQLite: its recorder writes counters on a connection that checks no
-- foreign keys (and SQLite drops a key only by rebuilding the table). (On Postgres this
-- migration drops the foreign key of link_counters.link_id.) Kept so both backends
-- number their migrations alike.
SELECT 1;
