#!/usr/bin/env bash
# Insight benchmark: seeds CLICKS clicks over 1,000 links and 90 days, then times the
# insight API — organization-wide 30 days, one link 30 days, one day hourly, and filtered
# (country + device) — RUNS times each, and prints the median. Postgres by default;
# BACKEND=sqlite for SQLite. Not part of `cargo test`. See bench/README.md.
#
#   bench/insight.sh                       # 1,000,000 clicks on Postgres
#   CLICKS=10000000 bench/insight.sh       # 10 million
#   BACKEND=sqlite bench/insight.sh
#   OPENPXL_BIN=/path/to/openpxl bench/insight.sh   # another build (an A/B)
#   ROLLUP=0 bench/insight.sh              # raw clicks only, no daily roll-ups
#   TODAY_CLICKS=1000000 bench/insight.sh  # and a busy today: 1M more clicks from 00:00 UTC
#                                          # to 5 minutes ago (50,000 visitors)
set -euo pipefail
cd "$(dirname "$0")/.."

CLICKS=${CLICKS:-1000000}
TODAY_CLICKS=${TODAY_CLICKS:-0}
DAYS=${DAYS:-90}
BACKEND=${BACKEND:-postgres}
RUNS=${RUNS:-7}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=9092

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
# Clicks spread evenly over the DAYS (90) days before now, on 1,000 links, 20,000 visitors
# a day (bench/seed_clicks.sh); with TODAY_CLICKS, more today.
seed_sql() {
  local series=$1
  cat <<SQL
INSERT INTO organizations (name, created_at) VALUES ('bench', 0);
INSERT INTO links (org_id, domain, route, destination, created_at, updated_at)
SELECT 1, 'bench.test', 'l' || i, 'https://example.com/' || i, 0, 0 FROM ($(printf "$series" 1000)) AS s;
SQL
  clicks_insert 1000 20000 "$NOW_MS - (CAST(i AS BIGINT) * $((DAYS * DAY_MS)) / $CLICKS)" "$CLICKS" "$series"
  if [ "$TODAY_CLICKS" -gt 0 ]; then
    # Today's clicks, evenly from 00:00 UTC to 5 minutes ago; 50,000 visitors.
    local today_start=$(( NOW_MS / DAY_MS * DAY_MS ))
    local today_span=$(( NOW_MS - 300000 - today_start ))
    clicks_insert 1000 50000 "$today_start + (CAST(i AS BIGINT) * $today_span / $TODAY_CLICKS)" \
      "$TODAY_CLICKS" "$series"
  fi
}

case "$BACKEND" in
  postgres)
    visitor_expr() { echo "int8send(v::int8)"; }
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS openpxl_insight WITH (FORCE)" -c "CREATE DATABASE openpxl_insight"
    URL="${PG_ADMIN_URL%/*}/openpxl_insight"
    DATABASE_URL=$URL "$OPENPXL" migrate 2>/dev/null
    echo "== seeding $CLICKS clicks (Postgres)"
    time ({ pg_seed_begin; seed_sql "SELECT generate_series(1, %s) AS i"; pg_seed_end; } | psql -q "$URL"; psql -q "$URL" -c "VACUUM ANALYZE")
    ;;
  sqlite)
    visitor_expr() { echo "CAST(CAST(v AS TEXT) AS BLOB)"; }
    URL="sqlite://$WORK/insight.db"
    DATABASE_URL=$URL "$OPENPXL" migrate 2>/dev/null
    echo "== seeding $CLICKS clicks (SQLite)"
    time (seed_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) SELECT i FROM n" \
      | sed 's/FALSE/0/' | sqlite3 "$WORK/insight.db"; sqlite3 "$WORK/insight.db" "ANALYZE")
    ;;
esac

if [ "${ROLLUP:-1}" = 1 ]; then
  echo "== rolling up the closed days (openpxl rollup)"
  time DATABASE_URL=$URL "$OPENPXL" rollup
  case "$BACKEND" in
    postgres) psql -q "$URL" -c "ANALYZE" ;;
    sqlite) sqlite3 "$WORK/insight.db" "ANALYZE" ;;
  esac
fi

TOKEN=$(DATABASE_URL=$URL "$OPENPXL" token create --email bench@bench.test --org bench --name bench \
        --daily-limit 1000000 2>/dev/null)
DATABASE_URL=$URL OPENPXL_LISTEN=127.0.0.1:$PORT OPENPXL_DEFAULT_DOMAIN=bench.test \
  "$OPENPXL" serve 2> "$WORK/serve.log" &
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done

TODAY=$(date -u +%Y-%m-%d)
MONTH_AGO=$(date -u -d '29 days ago' +%Y-%m-%d)
WEEK_AGO=$(date -u -d '7 days ago' +%Y-%m-%d)
declare -A QUERIES=(
  ["organization, 30 days"]="datefrom=$MONTH_AGO&dateto=$TODAY"
  ["one link, 30 days"]="datefrom=$MONTH_AGO&dateto=$TODAY&link=bench.test%2Fl7"
  ["one day, hourly"]="datefrom=$WEEK_AGO&dateto=$WEEK_AGO"
  ["today, hourly"]="datefrom=$TODAY&dateto=$TODAY"
  ["country + device, 30 days"]="datefrom=$MONTH_AGO&dateto=$TODAY&country=DE&device=Mobile"
  ["organization, 30 days, Berlin"]="datefrom=$MONTH_AGO&dateto=$TODAY&timezone=Europe/Berlin"
  ["one domain, 30 days"]="datefrom=$MONTH_AGO&dateto=$TODAY&domain=bench.test"
)

echo
echo "$BACKEND, $CLICKS clicks, 1,000 links, $DAYS days, $TODAY_CLICKS more today (at $(date -u +%H:%M) UTC);"
echo "median of $RUNS requests after a first one (the first reads today into memory: its time is shown too)"
for name in "organization, 30 days" "one link, 30 days" "one day, hourly" "country + device, 30 days" \
            "organization, 30 days, Berlin" "one domain, 30 days" "today, hourly"; do
  first=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$PORT/api/v1/insight?${QUERIES[$name]}")
  times=()
  for _ in $(seq 1 "$RUNS"); do
    t=$(curl -s -o "$WORK/out.json" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$PORT/api/v1/insight?${QUERIES[$name]}")
    times+=("$t")
  done
  total=$(python3 -c "import json,sys; print(json.load(open('$WORK/out.json'))['data']['total'])")
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)] * 1000}')
  printf '%-32s %6s ms   (first %5.0f ms, total %s)\n' "$name" "$median" \
    "$(python3 -c "print($first * 1000)")" "$total"
done

# Storage per click, all in (heap, TOAST and indexes), per table; `clicks` is the table
# before migration 0019, `click_rows` and its two dictionaries after.
if [ "$BACKEND" = postgres ]; then
  echo
  echo "storage, bytes per click (Postgres, after VACUUM): all in, then heap and indexes"
  psql -q "$URL" -c "VACUUM" >/dev/null
  STORED=$((CLICKS + TODAY_CLICKS))
  psql -At -F ' ' "$URL" -c "
    WITH t AS (
      SELECT relname, pg_total_relation_size(c.oid) AS total, pg_relation_size(c.oid) AS heap,
             pg_indexes_size(c.oid) AS indexes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r'
        AND relname IN ('clicks', 'click_rows', 'click_traits', 'click_origins', 'daily_clicks',
                        'daily_link_values', 'daily_slot_counts', 'rolled_up_days'))
    SELECT relname, pg_size_pretty(total), round(total::numeric / $STORED, 1),
           round(heap::numeric / $STORED, 1), round(indexes::numeric / $STORED, 1) FROM t
    UNION ALL
    SELECT 'all', pg_size_pretty(sum(total)), round(sum(total)::numeric / $STORED, 1),
           round(sum(heap)::numeric / $STORED, 1), round(sum(indexes)::numeric / $STORED, 1) FROM t" \
    | awk '{printf "%-20s %10s %s %8s B/click (heap %s, indexes %s)\n", $1, $2, $3, $4, $5, $6}'
fi
