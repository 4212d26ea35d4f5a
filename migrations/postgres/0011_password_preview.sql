-- Whether link-preview crawlers may see a protected link's card (docs/API.md §4.9).
ALTER TABLE links ADD COLUMN password_preview BOOLEAN NOT NULL DEFAULT FALSE;
