#!/usr/bin/env bash
# Requests per second and p99 of an axum "hello" handler, bare and behind myc-tower's AuthLayer
# (HS256 internal JWT with cached profile and injection; EdDSA with the verified-token cache),
# measured in one run with wrk on loopback. Prints each mode's ratio to bare (goal: >= 0.85x).
# Usage: bench/tower.sh [SECONDS] (default 8). Installs wrk with apt-get when missing.
set -euo pipefail
secs="${1:-8}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi
cd "$root"
cargo build --release -q -p myc-tower --example bench_server
server="$root/target/release/examples/bench_server"
port=$((20000 + RANDOM % 20000))

declare -A rps p99
for mode in bare hs256 eddsa; do
  out="$(mktemp)"
  "$server" "$mode" "127.0.0.1:$port" >"$out" &
  pid=$!
  for _ in $(seq 50); do grep -q READY "$out" && break; sleep 0.1; done
  token="$(sed -n 's/^TOKEN=//p' "$out")"
  # Warm up (fills the token and profile caches), then measure.
  wrk -t1 -c32 -d1s -H "authorization: Bearer $token" "http://127.0.0.1:$port/" >/dev/null
  result="$(wrk -t1 -c32 -d"${secs}s" --latency -H "authorization: Bearer $token" "http://127.0.0.1:$port/")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$out"
  if echo "$result" | grep -q "Non-2xx"; then echo "bench: $mode answered non-2xx" >&2; echo "$result" >&2; exit 1; fi
  rps[$mode]="$(echo "$result" | awk '/Requests\/sec/ {print $2}')"
  p99[$mode]="$(echo "$result" | awk '$1 == "99%" {print $2}')"
  port=$((port + 1))
done

printf '%-8s %12s %10s %8s\n' mode req/s p99 ratio
for mode in bare hs256 eddsa; do
  ratio="$(awk -v a="${rps[$mode]}" -v b="${rps[bare]}" 'BEGIN {printf "%.2fx", a / b}')"
  printf '%-8s %12s %10s %8s\n' "$mode" "${rps[$mode]}" "${p99[$mode]}" "$ratio"
done
