#!/usr/bin/env bash
# Requests per second and p99 through the gateway, against nginx proxy_pass (keepalive to the
# upstream) and the upstream itself, in one run with wrk on loopback:
#   direct upstream (ceiling) | nginx | myc-gateway public route | myc-gateway protected route
#   (internal HS256 JWT, cached profile, injection).
# The proxy under test is pinned to CPU 0, wrk and the upstream to CPU 1. Modes alternate over
# ROUNDS rounds; each run is divided by nginx's run of the same round and the median of those
# paired ratios is reported, with each process's own CPU time per request (utime + stime, which
# neighbours' steal time does not inflate; for "direct" that is the upstream's). Goals (hyper
# based gateway): public >= 0.85x nginx, protected (HS256, cached profile) >= 0.8x, p99 <= 1.5x
# nginx's. Access logs are off on both sides (nginx access_log off; the gateway at
# RUST_LOG=warn). HTTP/2 and WebSocket figures: bench/edge.sh. Installs wrk and nginx when
# missing.
# The gateway runs with `--workers 1` (a single-threaded runtime on one core), as nginx runs one
# worker process. With BASELINE_GATEWAY=/path/to/an/older/myc-gateway, that binary serves the same
# config beside the current one (modes base-public, base-protected; started with
# TOKIO_WORKER_THREADS=1, as builds before `--workers` were): an A/B of two builds in one run.
# Mode "callback" is the public route with a fireAndForget Rhai callback; its line in the second
# table is its ratio against "public" (goal >= 0.9x).
# Usage: [BASELINE_GATEWAY=BIN] bench/gateway.sh [SECONDS_PER_RUN (3)] [ROUNDS (7)]
set -euo pipefail
secs="${1:-3}"
rounds="${2:-7}"
root="$(cd "$(dirname "$0")/.." && pwd)"
apt_install() {
  if [ "$(id -u)" = 0 ]; then apt-get install -y "$@" >/dev/null; else sudo apt-get install -y "$@" >/dev/null; fi
}
command -v wrk >/dev/null 2>&1 || { echo "bench: installing wrk" >&2; apt_install wrk; }
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { echo "bench: installing nginx" >&2; apt_install nginx-light || apt_install nginx; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

cd "$root"
cargo build --release -q -p myc-gateway -p myc-tower --example bench_server
cargo build --release -q -p myc-gateway
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
up_port="$(free_port)"; nginx_port="$(free_port)"; gw_port="$(free_port)"
TOKIO_WORKER_THREADS=1 "${pin1[@]}" "$root/target/release/examples/bench_server" bare "127.0.0.1:$up_port" >/dev/null &
up_pid=$!
pids+=($up_pid)

mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream app { server 127.0.0.1:$up_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
"${pin0[@]}" "$nginx_bin" -c "$work/nginx.conf" -p "$work/nginx" &
pids+=($!)

export BENCH_JWT_SECRET="bench-secret-with-at-least-thirty-two-bytes"
cat >"$work/gateway.toml" <<CONF
[gateway]
addressing = "service-prefix"
health_path = "/_gateway/health"
metrics_path = "/_gateway/metrics"

[gateway.auth.internal]
issuer = "mycelium"
audiences = ["mycelium"]
keys = [{ kid = "v1", alg = "HS256", secret = { env = "BENCH_JWT_SECRET" } }]

[api.services]
[[pub]]
host = "127.0.0.1:$up_port"
[[pub.path]]
group = "public"
path = "/"
methods = ["GET"]

[[cb]]
host = "127.0.0.1:$up_port"
[[cb.path]]
group = "public"
path = "/"
methods = ["GET"]
callbacks = ["slow-watch"]

[[callback]]
name = "slow-watch"
type = "rhai"
script = "if duration_ms > 1000 { log_warn(\"slow: \" + upstream_path) }"

[[priv]]
host = "127.0.0.1:$up_port"
[[priv.path]]
group = "protected"
path = "/"
methods = ["GET"]
CONF
"$root/target/release/myc-gateway" accounts create --config "$work/gateway.toml" --email bench@example.com >/dev/null
RUST_LOG=warn "${pin0[@]}" "$root/target/release/myc-gateway" serve --workers 1 --config "$work/gateway.toml" \
  --listen "127.0.0.1:$gw_port" >/dev/null 2>"$work/gateway.log" &
gw_pid=$!
pids+=($gw_pid)
token="$("$root/target/release/myc-gateway" tokens mint --config "$work/gateway.toml" --email bench@example.com)"
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$gw_port/pub/" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$nginx_port/" >/dev/null 2>&1 && break
  sleep 0.1
done

nginx_worker="$(pgrep -P "$(cat "$work/nginx.pid")" | head -1)"
if [ -n "${BASELINE_GATEWAY:-}" ]; then
  base_port="$(free_port)"
  RUST_LOG=warn TOKIO_WORKER_THREADS=1 "${pin0[@]}" "$BASELINE_GATEWAY" serve --config "$work/gateway.toml" \
    --listen "127.0.0.1:$base_port" >/dev/null 2>"$work/baseline.log" &
  base_pid=$!
  pids+=($base_pid)
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$base_port/pub/" >/dev/null 2>&1 && break
    sleep 0.1
  done
fi

declare -A url hdr pid
url[direct]="http://127.0.0.1:$up_port/"; hdr[direct]="x-bench: 1"; pid[direct]=$up_pid
url[nginx]="http://127.0.0.1:$nginx_port/"; hdr[nginx]="x-bench: 1"; pid[nginx]=$nginx_worker
url[public]="http://127.0.0.1:$gw_port/pub/"; hdr[public]="x-bench: 1"; pid[public]=$gw_pid
url[protected]="http://127.0.0.1:$gw_port/priv/"; hdr[protected]="authorization: Bearer $token"; pid[protected]=$gw_pid
url[callback]="http://127.0.0.1:$gw_port/cb/"; hdr[callback]="x-bench: 1"; pid[callback]=$gw_pid
modes=(direct nginx public protected callback)
if [ -n "${BASELINE_GATEWAY:-}" ]; then
  url[base-public]="http://127.0.0.1:$base_port/pub/"; hdr[base-public]="x-bench: 1"; pid[base-public]=$base_pid
  url[base-protected]="http://127.0.0.1:$base_port/priv/"; hdr[base-protected]="authorization: Bearer $token"
  pid[base-protected]=$base_pid
  modes+=(base-public base-protected)
fi
for mode in "${modes[@]}"; do
  "${pin1[@]}" wrk -t1 -c32 -d1s -H "${hdr[$mode]}" "${url[$mode]}" >/dev/null
done
results="$work/results"
for round in $(seq "$rounds"); do
  for mode in "${modes[@]}"; do
    line="$(measure "${pid[$mode]}" "$secs" "${hdr[$mode]}" "${url[$mode]}")"
    echo "$mode $round $line" >>"$results"
    echo "bench: round $round $mode $line" >&2
  done
done
report "$results" nginx "${modes[@]}"
echo
report "$results" public public callback
