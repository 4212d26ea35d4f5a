#!/usr/bin/env bash
# Where the CPU of a redirect goes: one wrk run (64 connections, DUR seconds after 3 s of
# warm-up) against a given build on LINKS seeded links, reading /proc before and after:
# CPU time per request of the server, of every Postgres process, and of the whole machine
# (wrk and the kernel included), and context switches per 100 requests (of the machine,
# and of the server's threads). Not part of `cargo test`; see bench/README.md, "Counters
# folded in the background".
#
# Usage: bench/cpu_split.sh BINARY [pg|sqlite|ceiling]
#   SCRIPT=bench/hot_route.lua for one hot link; PERF=1 records a profile in /tmp/perf.data.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/seed_clicks.sh
BIN=$1; MODE=${2:-pg}; DUR=${DUR:-10}; export LINKS=${LINKS:-100000}
UA="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
# Context switches: of the whole machine, and of the server's threads (voluntary + not).
ctxt() { awk '/^ctxt/ {print $2}' /proc/stat; }
switches() { cat /proc/$1/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'; }
ticks() { local t=0; for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
pgpids() { pgrep -f "postgres" | tr '\n' ' '; }
PORT=9091
if [ "$MODE" = ceiling ]; then
  $BIN 127.0.0.1:$PORT & PID=$!
else
  if [ "$MODE" = pg ]; then
  psql -q postgres://postgres@127.0.0.1:5432/postgres -c "DROP DATABASE IF EXISTS openpxl_cpu WITH (FORCE)" -c "CREATE DATABASE openpxl_cpu"
  URL=postgres://postgres@127.0.0.1:5432/openpxl_cpu; SQL="psql -q $URL"
  else rm -f /tmp/cpu.db*; URL=sqlite:///tmp/cpu.db; SQL="sqlite3 /tmp/cpu.db"; fi
  DATABASE_URL=$URL $BIN migrate 2>/dev/null
  seed_sql 127.0.0.1:$PORT | $SQL
  DATABASE_URL=$URL $BIN migrate 2>/dev/null
  DATABASE_URL=$URL OPENPXL_LISTEN=127.0.0.1:$PORT OPENPXL_DEFAULT_DOMAIN=127.0.0.1:$PORT $BIN serve 2>/tmp/cpu-serve.log & PID=$!
fi
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
SCRIPT=${SCRIPT:-bench/random_route.lua}
wrk -t2 -c64 -d3s -H "User-Agent: $UA" -s $SCRIPT http://127.0.0.1:$PORT >/dev/null
P0=$(ticks $PID); G0=$(ticks $(pgpids)); T0=$(awk '/^cpu /{print $2+$3+$4+$6+$7+$8}' /proc/stat); I0=$(awk '/^cpu /{print $5}' /proc/stat); C0=$(ctxt); S0=$(switches $PID)
if [ -n "${PERF:-}" ]; then perf record -q -e cpu-clock -F 2000 -g -o /tmp/perf.data -p $PID -- sleep $DUR 2>/dev/null & PERFPID=$!; fi
wrk -t2 -c64 -d${DUR}s --latency -H "User-Agent: $UA" -s $SCRIPT http://127.0.0.1:$PORT > /tmp/cpu-wrk.txt
P1=$(ticks $PID); G1=$(ticks $(pgpids)); T1=$(awk '/^cpu /{print $2+$3+$4+$6+$7+$8}' /proc/stat); I1=$(awk '/^cpu /{print $5}' /proc/stat); C1=$(ctxt); S1=$(switches $PID)
REQS=$(awk '/requests in/ {print $1}' /tmp/cpu-wrk.txt); RPS=$(awk '/Requests\/sec/ {printf "%d", $2}' /tmp/cpu-wrk.txt); P99=$(awk '$1 == "99%" {print $2}' /tmp/cpu-wrk.txt)
[ -n "${PERF:-}" ] && wait $PERFPID
kill -TERM $PID; wait $PID || true
awk -v r=$REQS -v rps=$RPS -v p99=$P99 -v s=$((P1-P0)) -v g=$((G1-G0)) -v t=$((T1-T0)) -v i=$((I1-I0)) -v m=$MODE -v c=$((C1-C0)) -v sw=$((S1-S0)) 'BEGIN {
  printf "%s: %d req/s p99 %s | µs CPU per request: server %.2f, postgres %.2f, all busy %.2f (idle %.2f) | context switches per 100 requests: machine %.1f, server %.1f\n", m, rps, p99, s*10000/r, g*10000/r, t*10000/r, i*10000/r, c*100/r, sw*100/r }'
if [ "$MODE" = pg ]; then
  psql -q postgres://postgres@127.0.0.1:5432/postgres -c "DROP DATABASE IF EXISTS openpxl_cpu WITH (FORCE)"
fi
