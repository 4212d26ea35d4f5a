-- Tags (docs/API.md §4.11): per organization, case-insensitive. `name` keeps the spelling
-- the tag was first given; `name_key` is its lower-case form (folded by the server, the
-- same on both databases), which identifies it.
CREATE TABLE tags (
    id       INTEGER PRIMARY KEY,
    org_id   BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name     TEXT   NOT NULL,
    name_key TEXT   NOT NULL,
    CONSTRAINT tags_org_key UNIQUE (org_id, name_key)
);

CREATE TABLE link_tags (
    link_id BIGINT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    tag_id  BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (link_id, tag_id)
);
-- The links of a tag (`tag=` filters).
CREATE INDEX link_tags_tag_idx ON link_tags (tag_id, link_id);

-- Search (`q=`): the link's route, destination, title and description in lower case
-- (folded by the server), one per line; filled for existing links by the server when it
-- starts (`Store::fill_search_text`).
ALTER TABLE links ADD COLUMN search_text TEXT;

-- A trigram full-text index of it (FTS5 with an external content table: it stores only
-- the index), kept up to date by triggers. The text is in lower case already, so the
-- index is case-sensitive; a word of three characters or more is found with
-- `links_search MATCH '"word"'` (a phrase of its trigrams: the rows that contain it).
CREATE VIRTUAL TABLE links_search USING fts5(
    search_text, content = 'links', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER links_search_insert AFTER INSERT ON links
WHEN new.search_text IS NOT NULL BEGIN
    INSERT INTO links_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER links_search_update AFTER UPDATE OF search_text ON links BEGIN
    INSERT INTO links_search (links_search, rowid, search_text)
    SELECT 'delete', old.id, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO links_search (rowid, search_text)
    SELECT new.id, new.search_text WHERE new.search_text IS NOT NULL;
END;
CREATE TRIGGER links_search_delete AFTER DELETE ON links
WHEN old.search_text IS NOT NULL BEGIN
    INSERT INTO links_search (links_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;
