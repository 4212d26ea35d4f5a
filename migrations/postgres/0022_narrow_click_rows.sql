-- Nothing to do on Postgres: its clicks are narrow rows since its 0019. (On SQLite this
-- migration makes `clicks` a view over `click_rows` and two dictionaries.) Kept so both
-- backends number their migrations alike.
SELECT 1;
