-- A link's lifecycle (docs/API.md §4.9): from `expires_at` (ms since the epoch) visitors
-- go to `expired_destination` or get a 410 page; a `disabled` link answers 404.
ALTER TABLE links ADD COLUMN expires_at BIGINT;
ALTER TABLE links ADD COLUMN expired_destination TEXT;
ALTER TABLE links ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0; -- boolean 0/1 (store::DbBool)
