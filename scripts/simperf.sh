#!/usr/bin/env bash
# Intake speed through the simulator (issue 13): a throw-away PostgreSQL
# cluster with PostGIS (fsync on), gridd seeded with Pukou on it, and
# `gridctl simulate` at RATE reports/s for DURATION (open loop), reporting
# the simulator's summary, the load average, and the CPU time gridd and
# PostgreSQL spent per acknowledged report (from /proc, which depends far
# less on the neighbours' load than the rate does).
#
#   scripts/simperf.sh [RATE] [DURATION]      e.g. scripts/simperf.sh 1000 30s
#
# GRIDD_BIN=path measures another gridd build (e.g. main's, for a before
# and after in one period) with this tree's simulator; TIMELINE=file keeps
# the simulator's per-report timeline (gridctl simulate --timeline).
#
# Needs PostgreSQL's server binaries and PostGIS (see scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-1000}
duration=${2:-30s}
bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
tmp=$(mktemp -d)
run_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres "$tmp"; run_pg=(runuser -u postgres --); fi
port=$((20000 + RANDOM % 20000))
gport=$((40000 + RANDOM % 20000))
gridd_pid=""
cleanup() {
  [ -n "$gridd_pid" ] && kill "$gridd_pid" 2>/dev/null && wait "$gridd_pid" 2>/dev/null || true
  "${run_pg[@]}" "$bin/pg_ctl" -D "$tmp/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -n "${GRIDD_BIN:-}" ]; then cp "$GRIDD_BIN" "$tmp/gridd"; else go build -o "$tmp/gridd" ./cmd/gridd; fi
go build -o "$tmp/gridctl" ./cmd/gridctl
"${run_pg[@]}" "$bin/initdb" -D "$tmp/data" -U postgres -A trust >/dev/null
"${run_pg[@]}" "$bin/pg_ctl" -D "$tmp/data" -o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c max_connections=100" \
  -l "$tmp/pg.log" -w start >/dev/null
psql -q -h 127.0.0.1 -p "$port" -U postgres -c 'CREATE DATABASE gridd'
psql -q -h 127.0.0.1 -p "$port" -U postgres -d gridd -c 'CREATE EXTENSION postgis'

key=simperf-key
hash=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
DATABASE_URL="postgres://postgres@127.0.0.1:$port/gridd?sslmode=disable" GRIDD_API_KEYS="$hash dispatcher,intake simperf" \
  "$tmp/gridd" --addr "127.0.0.1:$gport" --log-level warn >"$tmp/gridd.log" 2>&1 &
gridd_pid=$!
until curl -sf "http://127.0.0.1:$gport/readyz" >/dev/null; do
  kill -0 "$gridd_pid" || { cat "$tmp/gridd.log"; exit 1; }
  sleep 0.5
done

# CPU ticks of a process and its reaped children; PostgreSQL's are the
# postmaster's and its live backends'.
ticks() { awk '{print $14+$15+$16+$17}' "/proc/$1/stat"; }
pg_ticks() {
  local pm sum=0 c
  pm=$(head -n 1 "$tmp/data/postmaster.pid")
  sum=$(ticks "$pm")
  for c in $(pgrep -P "$pm"); do sum=$((sum + $(awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || echo 0))); done
  echo "$sum"
}
hz=$(getconf CLK_TCK)
# The district is read first; count CPU from there on.
g0=$(ticks "$gridd_pid"); p0=$(pg_ticks)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$tmp/gridctl" simulate --url "http://127.0.0.1:$gport" --key "$key" --rate "$rate" --duration "$duration" \
  --seed 1 --case-share 0 --positions-every 0 --lose-share 0 --workers 128 --ack-log "$tmp/acks" \
  ${TIMELINE:+--timeline "$TIMELINE"} | tee "$tmp/summary"
g1=$(ticks "$gridd_pid"); p1=$(pg_ticks)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
acks=$(wc -l <"$tmp/acks")
awk -v g=$((g1 - g0)) -v p=$((p1 - p0)) -v n="$acks" -v hz="$hz" 'BEGIN {
  printf "CPU per acknowledged report: gridd %.0f µs, PostgreSQL %.0f µs (%d reports; includes reading the district)\n",
    g / hz / n * 1e6, p / hz / n * 1e6, n }'
