-- Dashboard sessions. Only a SHA-256 digest of the session id is stored: the id itself
-- lives in the person's cookie alone. `org_id` is the organization the session works in
-- (a user may belong to several and switch).
CREATE TABLE sessions (
    digest       BYTEA  PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- A password someone else chose (a new member's one-time password) must be changed at the
-- first sign-in.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
