-- The daily salt of the unique-visitor key, shared by every instance. Only today's and
-- yesterday's are kept; older ones are deleted by the recorder.
CREATE TABLE visitor_salts (
    day  BIGINT PRIMARY KEY,  -- days since 1970-01-01 UTC
    salt BLOB   NOT NULL
);
