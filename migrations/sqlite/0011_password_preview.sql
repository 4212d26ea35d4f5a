-- Whether link-preview crawlers may see a protected link's card (docs/API.md §4.9).
ALTER TABLE links ADD COLUMN password_preview INTEGER NOT NULL DEFAULT 0; -- boolean 0/1
