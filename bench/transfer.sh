#!/usr/bin/env bash
# Export and import benchmark: seeds LINKS links (100,000) with CLICKS clicks (1,000,000)
# into a source database, times `openpxl export --clicks` to a JSON lines file, then
# `openpxl import jsonl` of that file into an empty database, and checks that the links
# and clicks arrived. Postgres by default; BACKEND=sqlite for SQLite. Not part of `cargo
# test`. See bench/README.md.
#
#   bench/transfer.sh
#   BACKEND=sqlite bench/transfer.sh
#   OPENPXL_BIN=/tmp/openpxl bench/transfer.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LINKS=${LINKS:-100000}
CLICKS=${CLICKS:-1000000}
BACKEND=${BACKEND:-postgres}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}

command -v sqlite3 >/dev/null || { echo "installing sqlite3"; apt-get install -y sqlite3 >/dev/null; }
if [ -z "${OPENPXL_BIN:-}" ]; then
  echo "== building the release binary"
  cargo build --release --quiet --bin openpxl
fi
OPENPXL=${OPENPXL_BIN:-$PWD/target/release/openpxl}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export OPENPXL_DEFAULT_DOMAIN=bench.test
NOW_MS=$(( $(date +%s) * 1000 ))
. bench/seed_clicks.sh  # pg_seed_begin, pg_seed_end

# Links with a title and a tag; clicks spread over the 30 days before now, ten a link.
seed_sql() {
  local series=$1
  cat <<SQL
INSERT INTO links (org_id, domain, route, destination, title, created_at, updated_at)
SELECT 1, 'bench.test', 'r' || i, 'https://example.com/p/' || i, 'Page ' || i, i, i
FROM ($(printf "$series" "$LINKS")) AS s;
INSERT INTO tags (org_id, name, name_key) VALUES (1, 'Imported', 'imported');
INSERT INTO link_tags (link_id, tag_id) SELECT id, 1 FROM links;
INSERT INTO clicks (org_id, link_id, at, bot, visitor, country, city, device, browser, os,
                    referrer, source, medium, campaign, language)
SELECT 1, 1 + (i % $LINKS), $NOW_MS - (CAST(i AS BIGINT) * 2592) % 2592000000, FALSE, $(visitor_expr),
       'DE', 'Berlin', 'Desktop', 'Chrome', 'Windows', '', 'direct', 'none', NULL, 'de'
FROM ($(printf "$series" "$CLICKS")) AS s;
SQL
}

owner() { # $1 = database URL: the organization `bench` with its owner
  DATABASE_URL=$1 "$OPENPXL" user create --org bench --email owner@bench.test --role owner >/dev/null 2>&1
}

case "$BACKEND" in
  postgres)
    visitor_expr() { echo "int8send((i % 20000)::int8)"; }
    for db in openpxl_export openpxl_import; do
      psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    done
    SOURCE="${PG_ADMIN_URL%/*}/openpxl_export"
    TARGET="${PG_ADMIN_URL%/*}/openpxl_import"
    owner "$SOURCE"; owner "$TARGET"
    echo "== seeding $LINKS links and $CLICKS clicks (Postgres)"
    { pg_seed_begin; seed_sql "SELECT generate_series(1, %s) AS i"; pg_seed_end; } | psql -q "$SOURCE"
    count() { psql -qtA "$1" -c "$2"; }
    ;;
  sqlite)
    visitor_expr() { echo "CAST(CAST(i % 20000 AS TEXT) AS BLOB)"; }
    SOURCE="sqlite://$WORK/export.db"
    TARGET="sqlite://$WORK/import.db"
    owner "$SOURCE"; owner "$TARGET"
    echo "== seeding $LINKS links and $CLICKS clicks (SQLite)"
    seed_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) SELECT i FROM n" \
      | sed 's/FALSE/0/' | sqlite3 "$WORK/export.db"
    count() { sqlite3 "${1#sqlite://}" "$2"; }
    ;;
esac
# Counters as the recorder would have kept them.
count "$SOURCE" "INSERT INTO link_counters (link_id, org_id, clicks, last_click_at)
                 SELECT link_id, org_id, COUNT(*), MAX(at) FROM clicks GROUP BY link_id, org_id" >/dev/null

timed() { # label command...
  local started; started=$(date +%s.%N)
  "${@:2}"
  awk -v now="$(date +%s.%N)" -v then="$started" -v label="$1" \
    'BEGIN {printf "%s: %.1f s\n", label, now - then}'
}

echo "== export"
DATABASE_URL=$SOURCE timed "export --clicks" "$OPENPXL" export --org bench --clicks --output "$WORK/bench.jsonl"
ls -l "$WORK/bench.jsonl" | awk '{printf "file: %.0f MB\n", $5 / 1e6}'
echo "== import"
DATABASE_URL=$TARGET timed "import jsonl" "$OPENPXL" import jsonl "$WORK/bench.jsonl" --org bench 2>&1 \
  | tail -3
echo "source: $(count "$SOURCE" "SELECT COUNT(*) FROM links") links, $(count "$SOURCE" "SELECT COUNT(*) FROM clicks") clicks"
echo "target: $(count "$TARGET" "SELECT COUNT(*) FROM links") links, $(count "$TARGET" "SELECT COUNT(*) FROM clicks") clicks"
