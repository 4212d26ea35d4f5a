-- Postgres only (its foreign key on clicks.link_id and its counters' page fill); SQLite's
-- click table is unchanged. Kept so both backends number their migrations alike.
SELECT 1;
