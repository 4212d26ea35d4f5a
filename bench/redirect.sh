#!/usr/bin/env bash
# Redirect benchmark on loopback: (a) a bare axum handler answering a constant 302 — the
# ceiling — (b) openpxl on SQLite, (c) openpxl on Postgres, each seeded with LINKS links and
# driven by wrk with random routes. The three servers run side by side and are measured in
# turn, ROUNDS times, so that each figure is paired with the ceiling measured seconds before
# it. Prints requests/s, p50/p99 latency and server RSS, the ratios b/a and c/a (each round's
# and the whole run's), and checks that the clicks in the database equal the visits served.
#
# Not part of `cargo test`. See bench/README.md. TARGETS="ceiling postgres" runs only some;
# TARGETED=1 gives every link 20 targeting rules and 3 A/B variants. STORED_CLICKS=N stores
# N clicks over the links and the 90 days before today (rolled up) before the run.
# STORAGE=1 prints what the clicks written on Postgres take, per table, in bytes a click.
# LOGS=DIR keeps the servers' logs there (with RUST_LOG, e.g. openpxl::clicks::counts=debug
# for the folds of link counters).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15}          # seconds measured per target, over all rounds
ROUNDS=${ROUNDS:-3}               # turns of measuring every target, DURATION/ROUNDS s each
WARMUP=${WARMUP:-5}               # seconds of load per target before the rounds (fills the cache)
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
command -v gawk >/dev/null || { echo "installing gawk"; apt-get install -y gawk >/dev/null; }
[ "$ROUNDS" -ge 1 ] || { echo "ROUNDS must be at least 1" >&2; exit 1; }

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

# load PORT SECONDS FILE: random routes for SECONDS, wrk's report in FILE.
load() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2s" --latency -H "User-Agent: $UA" \
      -s bench/random_route.lua "http://127.0.0.1:$1" > "$3"
  if grep -q "Non-2xx or 3xx" "$3"; then
    echo "error responses during the run:" >&2; cat "$3" >&2; exit 1
  fi
}

# in_ms LATENCY: wrk's "412.00us" / "4.21ms" / "1.02s" in milliseconds.
in_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[^m]s$/) n *= 1000; printf "%.2f", n }'
}

# Peak resident memory of the process, and its anonymous (heap) part: SQLite's memory map
# of the database file counts in the first but is the kernel's page cache.
rss_mib() { awk '/VmHWM/ {hwm = $2} /RssAnon/ {anon = $2} END {printf "%.0f/%.0f", hwm / 1024, anon / 1024}' "/proc/$1/status"; }

TARGETS=${TARGETS:-ceiling sqlite postgres}
wanted() { [[ " $TARGETS " == *" $1 "* ]]; }
declare -A PORT PID RSS

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

# start_openpxl NAME DATABASE_URL PORT: serves the links seeded for 127.0.0.1:PORT.
start_openpxl() {
  DATABASE_URL=$2 OPENPXL_LISTEN=127.0.0.1:$3 OPENPXL_DEFAULT_DOMAIN=127.0.0.1:$3 \
    "$OPENPXL" serve 2> "$WORK/$1.log" &
  PID[$1]=$!
  PORT[$1]=$3
  wait_for_port "$3"
}

if wanted ceiling; then
  echo "== (a) ceiling: bare axum constant 302"
  "$CEILING" 127.0.0.1:9090 &
  PID[ceiling]=$!
  PORT[ceiling]=9090
  wait_for_port 9090
fi

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
  start_openpxl sqlite "sqlite://$DB" 9091
fi

if wanted postgres; then
  echo "== (c) openpxl on Postgres ($LINKS links)"
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $PG_BENCH_DB"
  PG_URL="${PG_ADMIN_URL%/*}/$PG_BENCH_DB"
  DATABASE_URL="$PG_URL" "$OPENPXL" migrate 2>/dev/null
  seed_sql 127.0.0.1:9092 | psql -q "$PG_URL"
  DATABASE_URL="$PG_URL" "$OPENPXL" migrate 2>/dev/null
  store_clicks postgres "$PG_URL"
  psql -q "$PG_URL" -c "VACUUM ANALYZE"
  start_openpxl postgres "$PG_URL" 9092
fi

# The warm-up fills each server's link cache; then every round measures each target in
# turn for DURATION/ROUNDS seconds, the others idle.
SLICE=$(( (DURATION + ROUNDS - 1) / ROUNDS ))
echo "== warm-up: ${WARMUP}s a target"
for name in $TARGETS; do
  load "${PORT[$name]}" "$WARMUP" "$WORK/warmup.txt"
done
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round of $ROUNDS: ${SLICE}s a target"
  for name in $TARGETS; do
    load "${PORT[$name]}" "$SLICE" "$WORK/$name.$round.txt"
  done
done
for name in $TARGETS; do
  RSS[$name]=$(rss_mib "${PID[$name]}")
done

# stop NAME COUNT_COMMAND...: SIGTERM, then the visits served (warm-up included, from the
# shutdown log), the clicks stored and the recorder's writing time.
declare -A SERVED STORED WRITING
stop() {
  local name=$1; shift
  kill -TERM "${PID[$name]}"; wait "${PID[$name]}"
  SERVED[$name]=$(grep -o 'clicks.received=[0-9]*' "$WORK/$name.log" | tail -1 | cut -d= -f2)
  WRITING[$name]=$(grep -o 'clicks.writing_ms=[0-9]*' "$WORK/$name.log" | tail -1 | cut -d= -f2 || true)
  STORED[$name]=$(( $("$@") - STORED_CLICKS ))
}
if wanted ceiling; then kill "${PID[ceiling]}"; wait "${PID[ceiling]}" 2>/dev/null || true; fi
if wanted sqlite; then stop sqlite sqlite3 "$DB" "SELECT COUNT(*) FROM clicks"; fi
if wanted postgres; then
  stop postgres psql -qtA "$PG_URL" -c "SELECT COUNT(*) FROM clicks"
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

if [ -n "${LOGS:-}" ]; then
  mkdir -p "$LOGS"
  cp "$WORK"/*.log "$LOGS"/
fi

# whole_p99 FILES...: the p99 of the rounds' requests together, from each round's request
# count and upper tail (random_route.lua's "tail" lines): the least latency L for which the
# requests slower than L are at most 1 % of all (a round's share above L read off its tail
# at 0.1-percentile steps, rounded up; below its 95th percentile a round counts as all
# above L). GNU awk (asorti).
whole_p99() {
  gawk '
    /requests in/ { n[FILENAME] = $1; total += $1 }
    $1 == "tail" { p[FILENAME, ++k[FILENAME]] = $2; v[FILENAME, k[FILENAME]] = $3; cand[$3] = 1 }
    END {
      m = asorti(cand, sorted, "@ind_num_asc")
      for (c = 1; c <= m; c++) {
        L = sorted[c] + 0; above = 0
        for (f in n) {
          below = 0
          for (j = 1; j <= k[f]; j++) if (v[f, j] <= L && p[f, j] > below) below = p[f, j]
          above += n[f] * (100 - below) / 100
        }
        if (above <= total / 100) { printf "%.2f", L / 1000; exit }
      }
      print "?"
    }' "$@"
}

# A target's figures over its rounds: requests and seconds summed, so req/s is the whole
# run's; p50 the median round's; p99 the whole run's (whole_p99), and the worst round's.
declare -A REQS RPS P50 P99 WORST
for name in $TARGETS; do
  reqs=0 secs=0 p50s="" p99s=""
  for round in $(seq 1 "$ROUNDS"); do
    f="$WORK/$name.$round.txt"
    reqs=$(( reqs + $(awk '/requests in/ {print $1}' "$f") ))
    # wrk says "requests in 5.01s," (or "1.00m," from a minute on)
    secs=$(awk -v s="$secs" '/requests in/ {
      t = $4; sub(/,$/, "", t); n = t + 0; if (t ~ /m$/) n *= 60; print s + n }' "$f")
    p50s="$p50s $(in_ms "$(awk '$1 == "50%" {print $2}' "$f")")"
    p99s="$p99s $(in_ms "$(awk '$1 == "99%" {print $2}' "$f")")"
  done
  REQS[$name]=$reqs
  RPS[$name]=$(awk -v r="$reqs" -v s="$secs" 'BEGIN { printf "%d", r / s }')
  P50[$name]=$(tr ' ' '\n' <<< "$p50s" | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)] "ms"}')
  P99[$name]="$(whole_p99 "$WORK/$name".*.txt)ms"
  WORST[$name]=$(tr ' ' '\n' <<< "$p99s" | sed '/^$/d' | sort -n | tail -1)ms
done

echo
echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s measured in $ROUNDS rounds after ${WARMUP}s warm-up, $LINKS links, $(nproc) cores"
printf '%-10s %10s %9s %9s %10s %12s %11s %11s %11s\n' target "req/s" p50 p99 "worst p99" "RSS/anon MiB" "wrk reqs" served "in DB"
for name in $TARGETS; do
  printf '%-10s %10s %9s %9s %10s %12s %11s %11s %11s\n' "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" \
    "${WORST[$name]}" "${RSS[$name]}" "${REQS[$name]}" "${SERVED[$name]:--}" "${STORED[$name]:--}"
done
if wanted ceiling; then
  for name in $TARGETS; do
    [ "$name" = ceiling ] && continue
    rounds=""
    for round in $(seq 1 "$ROUNDS"); do
      rounds="$rounds $(awk '/Requests\/sec/ {print $2}' "$WORK/$name.$round.txt" "$WORK/ceiling.$round.txt" \
        | paste -sd' ' | awk '{printf "%.2f", $1 / $2}')"
    done
    awk -v n="$name" -v r="${RPS[$name]}" -v c="${RPS[ceiling]}" -v rounds="$rounds" \
      'BEGIN { printf "%s / ceiling = %.2f (rounds:%s)\n", n, r / c, rounds }'
  done
fi
for name in $TARGETS; do
  [ "$name" = ceiling ] && continue
  if [ "${SERVED[$name]}" = "${STORED[$name]}" ]; then echo "$name: clicks in the database == visits served (${STORED[$name]})"
  else echo "$name: MISMATCH: served ${SERVED[$name]}, stored ${STORED[$name]}"; fi
  # What the recorder could write: the clicks over the time it spent enriching and writing
  # them (its batches, warm-up included), and how much of its life that time was.
  awk -v n="$name" -v c="${STORED[$name]}" -v ms="${WRITING[$name]:-0}" \
    'BEGIN { if (ms > 0) printf "%s: %.0f clicks written per second of writing\n", n, c / (ms / 1000) }'
done
