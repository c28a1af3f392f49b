#!/usr/bin/env bash
# Requests per second and p99 of an axum "hello" handler, bare and behind myc-tower's AuthLayer
# (HS256 internal JWT with cached profile and injection; EdDSA with the verified-token cache),
# measured in one run with wrk on loopback. The server is pinned to CPU 0 and wrk to CPU 1
# (disjoint cores); modes are interleaved over ROUNDS rounds and the median round is reported,
# so host noise hits every mode alike. Prints each mode's ratio to bare (goal: >= 0.85x).
# Usage: bench/tower.sh [SECONDS_PER_RUN (5)] [ROUNDS (3)]. Installs wrk with apt-get if missing.
set -euo pipefail
secs="${1:-5}"
rounds="${2:-3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi
pin_server=() pin_client=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 0) pin_client=(taskset -c 1)
fi
cd "$root"
cargo build --release -q -p myc-tower --example bench_server
server="$root/target/release/examples/bench_server"
port=$((20000 + RANDOM % 20000))
modes=(bare hs256 eddsa)
results="$(mktemp)"
trap 'rm -f "$results"' EXIT

for round in $(seq "$rounds"); do
  for mode in "${modes[@]}"; do
    out="$(mktemp)"
    TOKIO_WORKER_THREADS=1 "${pin_server[@]}" "$server" "$mode" "127.0.0.1:$port" >"$out" &
    pid=$!
    for _ in $(seq 50); do grep -q READY "$out" && break; sleep 0.1; done
    token="$(sed -n 's/^TOKEN=//p' "$out")"
    # Warm up (fills the token and profile caches), then measure.
    "${pin_client[@]}" wrk -t1 -c32 -d1s -H "authorization: Bearer $token" "http://127.0.0.1:$port/" >/dev/null
    result="$("${pin_client[@]}" wrk -t1 -c32 -d"${secs}s" --latency -H "authorization: Bearer $token" "http://127.0.0.1:$port/")"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -f "$out"
    if echo "$result" | grep -q "Non-2xx"; then echo "bench: $mode answered non-2xx" >&2; echo "$result" >&2; exit 1; fi
    rps="$(echo "$result" | awk '/Requests\/sec/ {print $2}')"
    p99="$(echo "$result" | awk '$1 == "99%" {print $2}')"
    echo "$mode $round $rps $p99" >>"$results"
    echo "bench: round $round $mode $rps req/s p99 $p99" >&2
    port=$((port + 1))
  done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bare="$(awk '$1 == "bare" {print $3}' "$results" | median)"
printf '%-8s %12s %10s %8s\n' mode "req/s (med)" "p99 (med)" ratio
for mode in "${modes[@]}"; do
  rps="$(awk -v m="$mode" '$1 == m {print $3}' "$results" | median)"
  p99="$(awk -v m="$mode" '$1 == m {v = $4; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else {sub(/s$/, "", v); v *= 1000}; print v}' "$results" | median)"
  ratio="$(awk -v a="$rps" -v b="$bare" 'BEGIN {printf "%.2fx", a / b}')"
  printf '%-8s %12s %9sms %8s\n' "$mode" "$rps" "$p99" "$ratio"
done
