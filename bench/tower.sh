#!/usr/bin/env bash
# Requests per second and p99 of an axum "hello" handler, bare and behind myc-tower's AuthLayer
# (HS256 internal JWT with cached profile and injection; EdDSA with the verified-token cache),
# measured in one run with wrk on loopback. Goal: each layered mode >= 0.85x bare.
#
# The three servers run side by side, pinned to CPU 0 (wrk on CPU 1), and are measured in
# alternation: ROUNDS rounds of one SECONDS-long run per mode. On a shared VM whole seconds
# swing by ±20% with the neighbours, so each layered run is divided by the bare run of the same
# round and the median of those paired ratios is the result. The server's own CPU time per
# request (utime + stime from /proc, which steal time does not inflate) gives a second,
# noise-robust view of the same ratio: bare CPU/request over layered CPU/request.
# Usage: bench/tower.sh [SECONDS_PER_RUN (3)] [ROUNDS (9)]. Installs wrk with apt-get if missing.
set -euo pipefail
secs="${1:-3}"
rounds="${2:-9}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
cd "$root"
cargo build --release -q -p myc-tower --example bench_server
server="$root/target/release/examples/bench_server"
modes=(bare hs256 eddsa)
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

declare -A port pid token
for mode in "${modes[@]}"; do
  port[$mode]="$(free_port)"
  TOKIO_WORKER_THREADS=1 "${pin0[@]}" "$server" "$mode" "127.0.0.1:${port[$mode]}" >"$work/$mode.out" &
  pid[$mode]=$!
  pids+=("${pid[$mode]}")
done
for mode in "${modes[@]}"; do
  for _ in $(seq 100); do grep -q READY "$work/$mode.out" && break; sleep 0.1; done
  token[$mode]="$(sed -n 's/^TOKEN=//p' "$work/$mode.out")"
  # Warm up (fills the token and profile caches).
  "${pin1[@]}" wrk -t1 -c32 -d1s -H "authorization: Bearer ${token[$mode]}" "http://127.0.0.1:${port[$mode]}/" >/dev/null
done

results="$work/results"
for round in $(seq "$rounds"); do
  for mode in "${modes[@]}"; do
    line="$(measure "${pid[$mode]}" "$secs" "authorization: Bearer ${token[$mode]}" "http://127.0.0.1:${port[$mode]}/")"
    echo "$mode $round $line" >>"$results"
    echo "bench: round $round $mode $line" >&2
  done
done
report "$results" bare "${modes[@]}"
