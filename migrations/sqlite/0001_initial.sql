-- openpxl schema, SQLite. Times are epoch milliseconds (UTC) in BIGINT columns, the same
-- on both backends. Every tenant table carries org_id.

CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT organizations_name_key UNIQUE (name)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT   NOT NULL,
    password_hash TEXT,            -- argon2id PHC string; NULL: cannot log in
    created_at    BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE memberships (
    org_id     BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT   NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE api_tokens (
    id             INTEGER PRIMARY KEY,
    org_id         BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    name           TEXT   NOT NULL,
    display_prefix TEXT   NOT NULL,  -- non-secret start of the token, for people
    digest         BLOB   NOT NULL,  -- SHA-256 of the token; the token itself is never stored
    daily_limit    BIGINT CHECK (daily_limit >= 1),  -- NULL: the server's default
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT,
    revoked_at     BIGINT,
    last_used_at   BIGINT,
    CONSTRAINT api_tokens_digest_key UNIQUE (digest),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_org_idx ON api_tokens (org_id);

-- Requests counted per token per UTC day (days since 1970-01-01).
CREATE TABLE token_usage (
    token_id BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    day      BIGINT NOT NULL,
    org_id   BIGINT NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (token_id, day)
);

CREATE TABLE domains (
    id         INTEGER PRIMARY KEY,
    org_id     BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    host       TEXT   NOT NULL,  -- lower-case host[:port]
    created_at BIGINT NOT NULL,
    CONSTRAINT domains_host_key UNIQUE (host)
);
CREATE INDEX domains_org_idx ON domains (org_id);

CREATE TABLE links (
    id          INTEGER  PRIMARY KEY,
    org_id      BIGINT  NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain      TEXT    NOT NULL,
    route       TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    consent     INTEGER NOT NULL DEFAULT 0,  -- boolean 0/1 (see store::DbBool)
    title       TEXT,
    description TEXT,
    image       TEXT,
    favicon     TEXT,
    clicks      BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    deleted_at  BIGINT  -- deleted links are kept so their clicks stay in the history
);
-- A route is taken while a live link holds it; deciding 409 is this index's job.
CREATE UNIQUE INDEX links_live_domain_route_key ON links (domain, route) WHERE deleted_at IS NULL;
CREATE INDEX links_org_newest_idx ON links (org_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX links_org_route_idx ON links (org_id, route) WHERE deleted_at IS NULL;

-- One row per visit. The raw IP is never stored: visitor is a daily-rotating salted hash.
CREATE TABLE clicks (
    id       INTEGER  PRIMARY KEY,
    org_id   BIGINT  NOT NULL,
    link_id  BIGINT  NOT NULL REFERENCES links (id),
    at       BIGINT  NOT NULL,
    bot      INTEGER NOT NULL,  -- boolean 0/1
    visitor  BLOB,
    country  TEXT    NOT NULL,
    city     TEXT    NOT NULL,
    device   TEXT    NOT NULL,
    browser  TEXT    NOT NULL,
    os       TEXT    NOT NULL,
    referrer TEXT    NOT NULL,
    source   TEXT    NOT NULL,
    medium   TEXT    NOT NULL,
    campaign TEXT,
    language TEXT    NOT NULL
);
CREATE INDEX clicks_org_at_idx ON clicks (org_id, at);
CREATE INDEX clicks_link_at_idx ON clicks (link_id, at);
