#!/usr/bin/env bash
# Redirect benchmark on loopback: (a) a bare axum handler answering a constant 302 — the
# ceiling — (b) openpxl on SQLite, (c) openpxl on Postgres, each seeded with LINKS links and
# driven by wrk with random routes. Prints requests/s, p50/p99 latency and server RSS, the
# ratios b/a and c/a, and checks that the clicks in the database equal the visits served.
#
# Not part of `cargo test`. See bench/README.md. TARGETS="ceiling postgres" runs only some;
# TARGETED=1 gives every link 20 targeting rules and 3 A/B variants. STORED_CLICKS=N stores
# N clicks over the links and the 90 days before today (rolled up) before the run.
# STORAGE=1 prints what the clicks written on Postgres take, per table, in bytes a click.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15}          # seconds measured per target
WARMUP=${WARMUP:-5}               # seconds of load before measuring (fills the cache)
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
export LINKS=${LINKS:-100000}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_BENCH_DB=openpxl_bench
STORED_CLICKS=${STORED_CLICKS:-0}
DAY_MS=86400000
TODAY_START_MS=$(( $(date +%s) / 86400 * DAY_MS ))
. bench/seed_clicks.sh
UA="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
command -v sqlite3 >/dev/null || { echo "installing sqlite3"; apt-get install -y sqlite3 >/dev/null; }

# OPENPXL_BIN / CEILING_BIN run given binaries instead (A/B runs against an older build).
if [ -z "${OPENPXL_BIN:-}" ] || [ -z "${CEILING_BIN:-}" ]; then
  echo "== building release binaries"
  cargo build --release --quiet --bin openpxl --example bench_ceiling
fi
OPENPXL=${OPENPXL_BIN:-target/release/openpxl}
CEILING=${CEILING_BIN:-target/release/examples/bench_ceiling}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

wait_for_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  exit 1
}

# run_load PORT → sets REQS RPS P50 P99
run_load() {
  local url="http://127.0.0.1:$1"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -H "User-Agent: $UA" -s bench/random_route.lua "$url" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "User-Agent: $UA" \
      -s bench/random_route.lua "$url" > "$WORK/wrk.txt"
  REQS=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
  RPS=$(awk '/Requests\/sec/ {printf "%d", $2}' "$WORK/wrk.txt")
  P50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.txt")
  P99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")
  if grep -q "Non-2xx or 3xx" "$WORK/wrk.txt"; then
    echo "error responses during the run:" >&2; cat "$WORK/wrk.txt" >&2; exit 1
  fi
}

# Peak resident memory of the process, and its anonymous (heap) part: SQLite's memory map
# of the database file counts in the first but is the kernel's page cache.
rss_mib() { awk '/VmHWM/ {hwm = $2} /RssAnon/ {anon = $2} END {printf "%.0f/%.0f", hwm / 1024, anon / 1024}' "/proc/$1/status"; }

TARGETS=${TARGETS:-ceiling sqlite postgres}
wanted() { [[ " $TARGETS " == *" $1 "* ]]; }
declare -A RESULT

# measure NAME PID PORT
measure() {
  run_load "$3"
  RESULT[$1]="$RPS $P50 $P99 $(rss_mib "$2") $REQS"
}

if wanted ceiling; then
echo "== (a) ceiling: bare axum constant 302"
"$CEILING" 127.0.0.1:9090 & CEILING_PID=$!
wait_for_port 9090
measure ceiling $CEILING_PID 9090
kill $CEILING_PID; wait $CEILING_PID 2>/dev/null || true
fi

# stored_clicks_sql SERIES → the STORED_CLICKS clicks, evenly over the 90 days before today,
# 20,000 visitors a day (bench/seed_clicks.sh); needs `visitor_expr`.
stored_clicks_sql() {
  clicks_insert "$LINKS" 20000 "$TODAY_START_MS - 1 - (CAST(i AS BIGINT) * $((90 * DAY_MS)) / $STORED_CLICKS)" \
    "$STORED_CLICKS" "$1"
}

# store_clicks BACKEND DATABASE_URL → stores and rolls up the STORED_CLICKS clicks
store_clicks() {
  [ "$STORED_CLICKS" -gt 0 ] || return 0
  echo "   storing $STORED_CLICKS clicks and rolling them up"
  case $1 in
    sqlite)
      visitor_expr() { echo "CAST(CAST(v AS TEXT) AS BLOB)"; }
      stored_clicks_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) SELECT i FROM n" \
        | sed 's/FALSE/0/' | sqlite3 "$DB" ;;
    postgres)
      visitor_expr() { echo "int8send(v::int8)"; }
      { pg_seed_begin; stored_clicks_sql "SELECT generate_series(1, %s) AS i"; pg_seed_end; } | psql -q "$2" ;;
  esac
  DATABASE_URL=$2 "$OPENPXL" rollup 2>/dev/null
}

# run_openpxl NAME DATABASE_URL COUNT_COMMAND...
run_openpxl() {
  local name=$1 url=$2; shift 2
  local port=9091
  DATABASE_URL=$url "$OPENPXL" migrate 2>/dev/null
  DATABASE_URL=$url OPENPXL_LISTEN=127.0.0.1:$port OPENPXL_DEFAULT_DOMAIN=127.0.0.1:$port \
    "$OPENPXL" serve 2> "$WORK/$name.log" & local pid=$!
  wait_for_port $port
  measure "$name" $pid $port
  kill -TERM $pid; wait $pid
  local served stored writing
  served=$(grep -o 'clicks.received=[0-9]*' "$WORK/$name.log" | tail -1 | cut -d= -f2)
  writing=$(grep -o 'clicks.writing_ms=[0-9]*' "$WORK/$name.log" | tail -1 | cut -d= -f2 || true)
  stored=$(( $("$@") - STORED_CLICKS ))
  RESULT[$name]="${RESULT[$name]} $served $stored ${writing:-0}"
}

if wanted sqlite; then
echo "== (b) openpxl on SQLite ($LINKS links)"
DB="$WORK/bench.db"
DATABASE_URL="sqlite://$DB" "$OPENPXL" migrate 2>/dev/null
seed_sql 127.0.0.1:9091 | sqlite3 "$DB"
# The seeded links have no search text yet: fill it now (as `migrate` does once after an
# upgrade), not while the server is measured.
DATABASE_URL="sqlite://$DB" "$OPENPXL" migrate 2>/dev/null
store_clicks sqlite "sqlite://$DB"
sqlite3 "$DB" ANALYZE
run_openpxl sqlite "sqlite://$DB" sqlite3 "$DB" "SELECT COUNT(*) FROM clicks"
fi

if wanted postgres; then
echo "== (c) openpxl on Postgres ($LINKS links)"
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $PG_BENCH_DB"
PG_URL="${PG_ADMIN_URL%/*}/$PG_BENCH_DB"
DATABASE_URL="$PG_URL" "$OPENPXL" migrate 2>/dev/null
seed_sql 127.0.0.1:9091 | psql -q "$PG_URL"
DATABASE_URL="$PG_URL" "$OPENPXL" migrate 2>/dev/null
store_clicks postgres "$PG_URL"
psql -q "$PG_URL" -c "VACUUM ANALYZE"
run_openpxl postgres "$PG_URL" psql -qtA "$PG_URL" -c "SELECT COUNT(*) FROM clicks"
if [ "${STORAGE:-0}" = 1 ]; then
  # What the clicks the recorder wrote take, per table (the clicks table before migration
  # 0019; its narrow rows and dictionaries after), after VACUUM ANALYZE.
  psql -q "$PG_URL" -c "VACUUM ANALYZE"
  psql -At -F ' ' "$PG_URL" -c "
    WITH n AS (SELECT COUNT(*) AS clicks FROM clicks)
    SELECT relname, n.clicks, round(pg_relation_size(c.oid)::numeric / n.clicks, 1),
           round(pg_indexes_size(c.oid)::numeric / n.clicks, 1),
           round(pg_total_relation_size(c.oid)::numeric / n.clicks, 1)
    FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace, n
    WHERE s.nspname = 'public' AND c.relkind = 'r'
      AND relname IN ('clicks', 'click_rows', 'click_traits', 'click_origins')" \
    | awk '{printf "storage: %-14s %s clicks: heap %s, indexes %s, all %s B/click\n", $1, $2, $3, $4, $5}'
fi
psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_BENCH_DB WITH (FORCE)"
fi

echo
echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s measured after ${WARMUP}s warm-up, $LINKS links, $(nproc) cores"
printf '%-10s %10s %9s %9s %12s %11s %11s %11s\n' target "req/s" p50 p99 "RSS/anon MiB" "wrk reqs" served "in DB"
for name in $TARGETS; do
  read -r rps p50 p99 rss reqs served stored _ <<< "${RESULT[$name]}"
  printf '%-10s %10s %9s %9s %12s %11s %11s %11s\n' "$name" "$rps" "$p50" "$p99" "$rss" "$reqs" "${served:--}" "${stored:--}"
done
if wanted ceiling; then
  ceiling_rps=$(cut -d' ' -f1 <<< "${RESULT[ceiling]}")
  for name in $TARGETS; do
    [ "$name" = ceiling ] && continue
    rps=$(cut -d' ' -f1 <<< "${RESULT[$name]}")
    awk -v n="$name" -v r="$rps" -v c="$ceiling_rps" 'BEGIN { printf "%s / ceiling = %.2f\n", n, r / c }'
  done
fi
for name in $TARGETS; do
  [ "$name" = ceiling ] && continue
  read -r _ _ _ _ _ served stored writing <<< "${RESULT[$name]}"
  if [ "$served" = "$stored" ]; then echo "$name: clicks in the database == visits served ($stored)"
  else echo "$name: MISMATCH: served $served, stored $stored"; fi
  # What the recorder could write: the clicks over the time it spent enriching and writing
  # them (its batches, warm-up included), and how much of the run that time was.
  awk -v n="$name" -v c="$stored" -v ms="$writing" -v run=$(( WARMUP + DURATION )) \
    'BEGIN { if (ms > 0) printf "%s: %.0f clicks written per second of writing (writing %.0f %% of the run)\n", n, c / (ms / 1000), 100 * ms / 1000 / run }'
done
