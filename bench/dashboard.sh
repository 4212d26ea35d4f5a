#!/usr/bin/env bash
# Dashboard benchmark: seeds LINKS links (10,000) and CLICKS clicks (1,000,000) over the 90
# days before now into one organization, rolls up the closed days, signs in, and times
# every dashboard page RUNS times (40), printing p50 and p95 of the time to the last byte
# (curl on loopback: server time plus a fraction of a millisecond). Postgres by default;
# BACKEND=sqlite for SQLite. Also prints what the first page load transfers (gzip on).
# Not part of `cargo test`. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

LINKS=${LINKS:-10000}
CLICKS=${CLICKS:-1000000}
BACKEND=${BACKEND:-postgres}
RUNS=${RUNS:-40}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=9093
BASE=http://127.0.0.1:$PORT

if [ -z "${OPENPXL_BIN:-}" ]; then
  echo "== building the release binary"
  cargo build --release --quiet --bin openpxl
fi
OPENPXL=${OPENPXL_BIN:-$PWD/target/release/openpxl}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

NOW_MS=$(( $(date +%s) * 1000 ))
DAY_MS=86400000
. bench/seed_clicks.sh
seed_sql() {
  local series=$1
  cat <<SQL
INSERT INTO organizations (name, created_at) VALUES ('bench', 0);
INSERT INTO links (org_id, domain, route, destination, title, created_at, updated_at)
SELECT 1, 'bench.test', 'l' || i, 'https://example.com/page/' || i, 'Page ' || i, i, i
FROM ($(printf "$series" "$LINKS")) AS s;
SQL
  clicks_insert "$LINKS" 20000 "$NOW_MS - (i * $((90 * DAY_MS)) / $CLICKS)" "$CLICKS" "$series"
}

case "$BACKEND" in
  postgres)
    visitor_expr() { echo "int8send(v::int8)"; }
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS openpxl_dashboard WITH (FORCE)" -c "CREATE DATABASE openpxl_dashboard"
    URL="${PG_ADMIN_URL%/*}/openpxl_dashboard"
    DATABASE_URL=$URL "$OPENPXL" migrate 2>/dev/null
    echo "== seeding $LINKS links and $CLICKS clicks (Postgres)"
    { pg_seed_begin; seed_sql "SELECT generate_series(1, %s) AS i"; pg_seed_end; } | psql -q "$URL"; psql -q "$URL" -c "VACUUM ANALYZE"
    ;;
  sqlite)
    visitor_expr() { echo "CAST(CAST(v AS TEXT) AS BLOB)"; }
    URL="sqlite://$WORK/dashboard.db"
    DATABASE_URL=$URL "$OPENPXL" migrate 2>/dev/null
    echo "== seeding $LINKS links and $CLICKS clicks (SQLite)"
    seed_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) SELECT i FROM n" \
      | sed 's/FALSE/0/' | sqlite3 "$WORK/dashboard.db"; sqlite3 "$WORK/dashboard.db" "ANALYZE"
    ;;
esac
echo "== rolling up"
DATABASE_URL=$URL "$OPENPXL" rollup 2>/dev/null
printf '%s\n' 'bench password' | DATABASE_URL=$URL "$OPENPXL" user create --email bench@bench.test \
  --org bench --role owner --password-stdin 2>/dev/null
DATABASE_URL=$URL "$OPENPXL" token create --email bench@bench.test --org bench --name one >/dev/null 2>&1

DATABASE_URL=$URL OPENPXL_LISTEN=127.0.0.1:$PORT OPENPXL_DEFAULT_DOMAIN=bench.test \
  "$OPENPXL" serve 2> "$WORK/serve.log" &
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done

JAR=$WORK/jar
CSRF=$(curl -s -c "$JAR" -b "$JAR" "$BASE/dashboard/sign-in" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"//')
curl -s -c "$JAR" -b "$JAR" -o /dev/null "$BASE/dashboard/sign-in" -X POST --data-urlencode "csrf=$CSRF" \
  --data-urlencode "email=bench@bench.test" --data-urlencode "password=bench password"

LINK=$(( LINKS / 2 ))
declare -A PAGES=(
  ["links, first page"]="/dashboard/links"
  ["links, page 200"]="/dashboard/links?page=200"
  ["links, search"]="/dashboard/links?q=page%2F4242"
  ["link page (7 days)"]="/dashboard/links/$LINK"
  ["link page, live figures"]="/dashboard/links/$LINK/live"
  ["link, edit form"]="/dashboard/links/$LINK/edit"
  ["analytics (7 days)"]="/dashboard/analytics"
  ["analytics (30 days, Berlin)"]="/dashboard/analytics?datefrom=$(date -u -d '29 days ago' +%F)&dateto=$(date -u +%F)&timezone=Europe/Berlin"
  ["analytics (90 days)"]="/dashboard/analytics?datefrom=$(date -u -d '89 days ago' +%F)&dateto=$(date -u +%F)"
  ["analytics, filtered"]="/dashboard/analytics?country=DE&device=Mobile"
  ["API tokens"]="/dashboard/tokens"
  ["team"]="/dashboard/team"
  ["domains"]="/dashboard/domains"
  ["QR code (SVG)"]="/dashboard/links/$LINK/qr"
)
echo
echo "$BACKEND: $LINKS links, $CLICKS clicks over 90 days; $RUNS requests per page"
printf '%-30s %8s %8s %8s\n' page p50 p95 status
for name in "links, first page" "links, page 200" "links, search" "link page (7 days)" \
            "link page, live figures" "link, edit form" "analytics (7 days)" \
            "analytics (30 days, Berlin)" "analytics (90 days)" "analytics, filtered" \
            "API tokens" "team" "domains" "QR code (SVG)"; do
  times=()
  for _ in $(seq 1 "$RUNS"); do
    times+=("$(curl -s -b "$JAR" -o /dev/null -w '%{time_total}' "$BASE${PAGES[$name]}")")
  done
  status=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code}' "$BASE${PAGES[$name]}")
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$name" -v s="$status" \
    '{a[NR]=$1} END {printf "%-30s %6.1f ms %6.1f ms %8s\n", n, a[int(NR*0.5+0.5)]*1000, a[int(NR*0.95+0.5)]*1000, s}'
done

# The first page load: the links page and everything it loads, gzip on.
page_bytes=$(curl -s -b "$JAR" -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$BASE/dashboard/links")
asset_bytes=0
for asset in $(curl -s -b "$JAR" "$BASE/dashboard/links" | grep -o '/dashboard/assets/[^"]*' | sort -u); do
  asset_bytes=$(( asset_bytes + $(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$BASE$asset") ))
done
echo "first load of /dashboard/links: page $page_bytes bytes + assets $asset_bytes bytes = $(( page_bytes + asset_bytes )) bytes (gzip)"
