#!/usr/bin/env bash
# How many clicks a hard crash loses at full speed: openpxl (release) on Postgres or SQLite,
# driven by wrk on one link with a browser User-Agent, killed with SIGKILL in full swing.
# Prints the visits wrk saw answered, the clicks stored, and the loss in clicks and in
# milliseconds of visits. Not part of `cargo test` (the test `crash::` checks the bound on
# debug builds); see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKEND=${BACKEND:-postgres}      # postgres | sqlite
LOAD_SECONDS=${LOAD_SECONDS:-6}   # wrk runs this long; the kill comes a second before
CONNECTIONS=${CONNECTIONS:-64}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
UA="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
TOKEN=opxl_sigkill_bench_token_0123456789abcdef
PORT=9092

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
if [ -z "${OPENPXL_BIN:-}" ]; then
  cargo build --release --quiet --bin openpxl
fi
OPENPXL=${OPENPXL_BIN:-target/release/openpxl}
WORK=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

case $BACKEND in
  postgres)
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS openpxl_sigkill WITH (FORCE)" -c "CREATE DATABASE openpxl_sigkill"
    URL="${PG_ADMIN_URL%/*}/openpxl_sigkill"
    count() { psql -qtA "$URL" -c "SELECT COUNT(*) FROM clicks"; } ;;
  sqlite)
    URL="sqlite://$WORK/sigkill.db"
    count() { sqlite3 "$WORK/sigkill.db" "SELECT COUNT(*) FROM clicks"; } ;;
esac

DATABASE_URL=$URL OPENPXL_LISTEN=127.0.0.1:$PORT OPENPXL_DEFAULT_DOMAIN=127.0.0.1:$PORT \
  OPENPXL_BOOTSTRAP_TOKEN=$TOKEN "$OPENPXL" serve 2> "$WORK/serve.log" & PID=$!
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
curl -sf -o /dev/null -X POST "http://127.0.0.1:$PORT/api/v1/short" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"destination": "https://example.com/", "route": "k"}'

wrk -t2 -c"$CONNECTIONS" -d"${LOAD_SECONDS}s" -H "User-Agent: $UA" "http://127.0.0.1:$PORT/k" > "$WORK/wrk.txt" 2>&1 &
WRK=$!
sleep $((LOAD_SECONDS - 1))
kill -9 $PID
wait $WRK || true
SERVED=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
SECONDS_RUN=$(awk '/requests in/ {gsub(/s,/, "", $4); print $4}' "$WORK/wrk.txt")
STORED=$(count)
# wrk's count covers the whole run; the server answered only until the kill.
awk -v s="$SERVED" -v t="$((LOAD_SECONDS - 1))" -v k="$STORED" 'BEGIN {
  rate = s / t; lost = s - k; if (lost < 0) lost = 0;
  printf "answered %d visits (%.0f/s until the kill), stored %d clicks: lost %d = %.0f ms of visits\n", s, rate, k, lost, lost / rate * 1000 }'
if [ "$BACKEND" = postgres ]; then psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS openpxl_sigkill WITH (FORCE)"; fi
