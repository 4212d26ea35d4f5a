-- Visitor keys are 8 bytes from now on (on Postgres they are one 8-byte number: see its
-- 0019, "Narrow click rows"). The keys already stored become their first 8 bytes (a hash,
-- so as good a key), a shorter one padded with zero bytes, as imports do: so a visitor
-- who clicked before and after the upgrade, the same day, stays one visitor. SQLite's
-- click table is otherwise unchanged.
UPDATE clicks SET visitor = substr(visitor, 1, 8) WHERE length(visitor) > 8;
UPDATE clicks SET visitor = CAST(visitor || zeroblob(8 - length(visitor)) AS BLOB) WHERE length(visitor) < 8;
