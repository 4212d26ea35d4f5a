-- Targeting rules and A/B variants (docs/API.md §4.10), as the JSON lists the API shows
-- (validated before they are stored); NULL: none.
ALTER TABLE links ADD COLUMN rules TEXT;
ALTER TABLE links ADD COLUMN variants TEXT;
