#!/usr/bin/env bash
# Load test of gridd's HTTP speed targets (docs/perf.md), all in ONE run so
# the figures share the machine's load: a bare net/http baseline handler
# (parse two floats, write a small JSON; api/internal/baseline), /locate,
# /collections/grids/items?limit=1000 and a zoom-14 grids tile.
#
# Targets only 127.0.0.1, and every step is bounded in time (DUR per wrk
# run, default 5s; the whole script takes about 2 minutes). Needs wrk
# (Debian package `wrk`) and Go. Usage: scripts/loadtest.sh [DUR]
# gridd seeds the Pukou bundle and the fixtures' plan itself; PLAN=file.geojson
# imports that plan instead (through gridctl import) before gridd starts.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${1:-${DUR:-5s}}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
HOST=127.0.0.1

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>/dev/tcp/$HOST/$p) 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port" >&2; exit 1
}

echo "==> building"
go build -o "$tmp/gridd" ./cmd/gridd
go build -o "$tmp/loadtest" ./api/internal/loadtest
if [ -n "${PLAN:-}" ]; then
  go build -o "$tmp/gridctl" ./cmd/gridctl
  "$tmp/gridctl" import --bundle fixtures/pukou --plan "$PLAN" --publish --data "$tmp/data" >/dev/null
fi

BPORT=$(free_port)
GPORT=$(free_port)
"$tmp/loadtest" baseline "$HOST:$BPORT" & pids+=($!)
BPID=$!
# Access logs are at info level; the load test runs at warn so that the
# comparison with the baseline (which logs nothing) measures serving, not
# log formatting. GRIDD_LOG_LEVEL=info measures with them.
"$tmp/gridd" --addr "$HOST:$GPORT" --data "$tmp/data" --log-level "${GRIDD_LOG_LEVEL:-warn}" >"$tmp/gridd.log" 2>&1 & pids+=($!)
GPID=$!

echo "==> waiting for gridd to seed its store and build its catalogue"
for i in $(seq 1 240); do
  if "$tmp/loadtest" get "http://$HOST:$GPORT/readyz" >/dev/null 2>&1; then break; fi
  if [ "$i" = 240 ]; then echo "gridd did not become ready"; cat "$tmp/gridd.log"; exit 1; fi
  sleep 0.5
done
grids=$("$tmp/loadtest" get "http://$HOST:$GPORT/collections/grids/items?limit=1" | sed -E 's/.*"numberMatched":([0-9]+).*/\1/')
echo "    published plan: $grids grids"

# A point in Jiangpu street and the zoom-14 tile around it; a point just
# outside the district (west of it, in Anhui) and one far away (Shanghai):
# /locate answers those with the nearest grid, which must not cost much
# more than an inside answer (issue 11: at most 1.5x).
LON=118.62; LAT=32.06
OUT_LON=118.30; OUT_LAT=31.95
FAR_LON=121.47; FAR_LAT=31.23
read -r TX TY < <(awk -v lon=$LON -v lat=$LAT 'BEGIN{pi=atan2(0,-1); n=2^14; x=int((lon+180)/360*n); r=lat*pi/180; y=int((1-log(sin(r)/cos(r)+1/cos(r))/pi)/2*n); print x, y}')

rps() { sed -nE 's/^Requests\/sec:[[:space:]]+([0-9.]+).*/\1/p'; }
p50() { sed -nE 's/^[[:space:]]+50%[[:space:]]+([0-9.]+[a-z]+).*/\1/p'; }
p99() { sed -nE 's/^[[:space:]]+99%[[:space:]]+([0-9.]+[a-z]+).*/\1/p'; }

# cpu_ticks PID: the process's user+system CPU time in clock ticks.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

run_wrk() { # name pid conns url [wrk args...]
  local out name=$1 pid=$2 conns=$3 url=$4 t0 t1 n
  shift 4
  t0=$(cpu_ticks "$pid")
  out=$(timeout 120 wrk -t"$THREADS" -c"$conns" -d"$DUR" --latency "$@" "$url")
  t1=$(cpu_ticks "$pid")
  n=$(echo "$out" | sed -nE 's/^ *([0-9]+) requests in.*/\1/p')
  echo "$out" >"$tmp/$name.wrk"
  # Server CPU per request is far less sensitive to the neighbours' load
  # than req/s: it says what the server itself spends.
  printf '%-24s %9s req/s  p50 %-8s p99 %-8s server CPU %s us/req\n' "$name" "$(echo "$out" | rps)" \
    "$(echo "$out" | p50)" "$(echo "$out" | p99)" "$(awk -v d=$((t1 - t0)) -v n="$n" -v hz="$TICK" 'BEGIN{printf "%.1f", d/hz*1e6/n}')"
}

echo "==> wrk -t$THREADS -c$CONNS -d$DUR --latency (loopback; load generator on the same cores)"
# The machine is shared and noisy: baseline and /locate alternate for
# ROUNDS rounds and are compared on their totals, so both see the same load.
ROUNDS=${ROUNDS:-3}
bsum=0; lsum=0; osum=0; fsum=0
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "baseline#$r" "$BPID" "$CONNS" "http://$HOST:$BPORT/?lon=$LON&lat=$LAT"
  run_wrk "locate#$r" "$GPID" "$CONNS" "http://$HOST:$GPORT/locate?lon=$LON&lat=$LAT"
  run_wrk "locate-outside#$r" "$GPID" "$CONNS" "http://$HOST:$GPORT/locate?lon=$OUT_LON&lat=$OUT_LAT"
  run_wrk "locate-far#$r" "$GPID" "$CONNS" "http://$HOST:$GPORT/locate?lon=$FAR_LON&lat=$FAR_LAT"
  bsum=$(awk -v a="$bsum" -v b="$(rps <"$tmp/baseline#$r.wrk")" 'BEGIN{print a+b}')
  lsum=$(awk -v a="$lsum" -v b="$(rps <"$tmp/locate#$r.wrk")" 'BEGIN{print a+b}')
  osum=$(awk -v a="$osum" -v b="$(rps <"$tmp/locate-outside#$r.wrk")" 'BEGIN{print a+b}')
  fsum=$(awk -v a="$fsum" -v b="$(rps <"$tmp/locate-far#$r.wrk")" 'BEGIN{print a+b}')
done
run_wrk items-grids-1000 "$GPID" 8 "http://$HOST:$GPORT/collections/grids/items?limit=1000"
run_wrk items-grids-1000-gzip "$GPID" 8 "http://$HOST:$GPORT/collections/grids/items?limit=1000" -H "Accept-Encoding: gzip"
run_wrk tile-grids-z14 "$GPID" "$CONNS" "http://$HOST:$GPORT/tiles/grids/14/$TX/$TY.mvt"

ratio=$(awk -v a="$lsum" -v b="$bsum" 'BEGIN{printf "%.0f", 100*a/b}')
half=$(awk -v a="$lsum" -v n="$ROUNDS" 'BEGIN{printf "%d", a/n/2}')
printf '    mean baseline %.0f req/s, mean /locate %.0f req/s: /locate = %s%% of the baseline (target >= 75%%)\n' \
  "$(awk -v a="$bsum" -v n="$ROUNDS" 'BEGIN{print a/n}')" "$(awk -v a="$lsum" -v n="$ROUNDS" 'BEGIN{print a/n}')" "$ratio"

printf '    /locate inside / just outside / far outside: %.0f / %.0f / %.0f req/s: an outside answer costs %.2fx / %.2fx an inside one (target <= 1.5x)\n' \
  "$(awk -v a="$lsum" -v n="$ROUNDS" 'BEGIN{print a/n}')" "$(awk -v a="$osum" -v n="$ROUNDS" 'BEGIN{print a/n}')" "$(awk -v a="$fsum" -v n="$ROUNDS" 'BEGIN{print a/n}')" \
  "$(awk -v a="$lsum" -v b="$osum" 'BEGIN{print a/b}')" "$(awk -v a="$lsum" -v b="$fsum" 'BEGIN{print a/b}')"

echo "==> /locate at half its peak rate ($half req/s, open-loop Go client, 10s)"
timeout 60 "$tmp/loadtest" rate -url "http://$HOST:$GPORT/locate?lon=$LON&lat=$LAT" -rps "$half" -duration 10s -conns 64
echo "==> baseline at the same rate, for comparison"
timeout 60 "$tmp/loadtest" rate -url "http://$HOST:$BPORT/?lon=$LON&lat=$LAT" -rps "$half" -duration 10s -conns 64
