#!/usr/bin/env bash
# Search benchmark: seeds LINKS links (default 100,000) with titles, descriptions and
# tags, starts openpxl (which fills the links' search text: timed), and times the list
# endpoint with `q=` and `tag=` RUNS times each, printing the median and the match count.
# Postgres by default; BACKEND=sqlite for SQLite. Not part of `cargo test`. See
# bench/README.md.
#
#   bench/search.sh
#   BACKEND=sqlite bench/search.sh
#   OPENPXL_BIN=/tmp/old/openpxl bench/search.sh     # a given binary
set -euo pipefail
cd "$(dirname "$0")/.."

LINKS=${LINKS:-100000}
BACKEND=${BACKEND:-postgres}
RUNS=${RUNS:-7}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=9093

command -v sqlite3 >/dev/null || { echo "installing sqlite3"; apt-get install -y sqlite3 >/dev/null; }
if [ -z "${OPENPXL_BIN:-}" ]; then
  echo "== building the release binary"
  cargo build --release --quiet --bin openpxl
fi
OPENPXL=${OPENPXL_BIN:-$PWD/target/release/openpxl}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# Link i: route r<i>; destination on one of 100 shops; a title from 50 products and a
# description with one of 1,000 codes (so a code matches 0.1 % of the links, a shop 1 %,
# a product 2 %); tags: one of 20 campaigns and one of 3 channels.
seed_sql() {
  local series=$1
  cat <<SQL
INSERT INTO organizations (name, created_at) VALUES ('bench', 0);
INSERT INTO links (org_id, domain, route, destination, title, description, created_at, updated_at)
SELECT 1, 'bench.test', 'r' || i, 'https://shop' || (i % 100) || '.example/p/' || i,
       'Product ' || (i % 50) || ' spring offer', 'Promo code ZX' || (i % 1000) || ' inside',
       i, i
FROM ($(printf "$series" "$LINKS")) AS s;
INSERT INTO tags (org_id, name, name_key)
SELECT 1, 'Campaign' || i, 'campaign' || i FROM ($(printf "$series" 20)) AS s;
INSERT INTO tags (org_id, name, name_key) VALUES (1, 'Email', 'email'), (1, 'Social', 'social'),
       (1, 'Print', 'print');
INSERT INTO link_tags (link_id, tag_id)
SELECT l.id, t.id FROM links l JOIN tags t ON t.name_key = 'campaign' || (l.id % 20 + 1);
INSERT INTO link_tags (link_id, tag_id)
SELECT l.id, t.id FROM links l JOIN tags t
  ON t.name_key = CASE l.id % 3 WHEN 0 THEN 'email' WHEN 1 THEN 'social' ELSE 'print' END;
SQL
}

case "$BACKEND" in
  postgres)
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS openpxl_search WITH (FORCE)" -c "CREATE DATABASE openpxl_search"
    URL="${PG_ADMIN_URL%/*}/openpxl_search"
    DATABASE_URL=$URL "$OPENPXL" migrate 2>/dev/null
    echo "== seeding $LINKS links (Postgres)"
    seed_sql "SELECT generate_series(1, %s) AS i" | psql -q "$URL"
    ;;
  sqlite)
    URL="sqlite://$WORK/search.db"
    DATABASE_URL=$URL "$OPENPXL" migrate 2>/dev/null
    echo "== seeding $LINKS links (SQLite)"
    seed_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) SELECT i FROM n" \
      | sqlite3 "$WORK/search.db"
    ;;
esac

# The first command after the seeding fills the links' search text (as an upgraded
# server does once): `token create` here, timed.
echo "== filling the search text of $LINKS links (the first start after the seeding)"
started=$(date +%s.%N)
TOKEN=$(DATABASE_URL=$URL "$OPENPXL" token create --email bench@bench.test --org bench --name bench \
        --daily-limit 1000000 2>/dev/null)
awk -v now="$(date +%s.%N)" -v then="$started" 'BEGIN {printf "filled in %.1f s\n", now - then}'
DATABASE_URL=$URL OPENPXL_LISTEN=127.0.0.1:$PORT OPENPXL_DEFAULT_DOMAIN=bench.test \
  "$OPENPXL" serve 2> "$WORK/serve.log" &
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
case "$BACKEND" in
  postgres) psql -q "$URL" -c "VACUUM ANALYZE" ;;
  sqlite) sqlite3 "$WORK/search.db" "ANALYZE" ;;
esac

QUERIES=(
  "q=zx417"                  # a code: 100 links
  "q=shop42"                 # a shop: 1,000 links
  "q=product+7+offer"        # three words: 2,000 links (product 7x too)
  "q=spring"                 # every link
  "q=nothing-like-this"      # no link
  "tag=campaign3"            # 5,000 links
  "tag=campaign3&tag=email"  # all of two tags
  "tag=campaign3&q=shop42"   # a tag and a word
  "q=zx"                     # two characters: no index helps
)

echo
echo "$BACKEND, $LINKS links; GET /api/v1/short?take=50&...; median of $RUNS requests"
for query in "${QUERIES[@]}"; do
  times=()
  for _ in $(seq 1 "$RUNS"); do
    t=$(curl -s -D "$WORK/headers" -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$PORT/api/v1/short?take=50&$query")
    times+=("$t")
  done
  total=$(awk -F': ' 'tolower($1) == "x-total-count" {print $2}' "$WORK/headers" | tr -d '\r')
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}')
  printf '%-28s %7s ms   (x-total-count %s)\n' "$query" "$median" "$total"
done
