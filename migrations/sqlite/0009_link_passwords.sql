-- A password on a link (docs/API.md §4.9): only its argon2id hash (PHC string) is kept.
ALTER TABLE links ADD COLUMN password_hash TEXT;
