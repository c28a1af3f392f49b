#!/usr/bin/env bash
# Requests per second and p99 through the gateway, against nginx proxy_pass (keepalive to the
# upstream) and the upstream itself, in one run with wrk on loopback:
#   direct upstream (ceiling) | nginx | myc-gateway public route | myc-gateway protected route
#   (internal HS256 JWT, cached profile, injection).
# The proxy under test is pinned to CPU 0, wrk and the upstream to CPU 1; modes are interleaved
# over ROUNDS rounds and the median is reported. Goals: public >= 1.0x nginx (p99 no worse),
# protected >= 0.9x nginx. Installs wrk and nginx with apt-get when missing.
# Usage: bench/gateway.sh [SECONDS_PER_RUN (5)] [ROUNDS (3)]
set -euo pipefail
secs="${1:-5}"
rounds="${2:-3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
apt_install() {
  if [ "$(id -u)" = 0 ]; then apt-get install -y "$@" >/dev/null; else sudo apt-get install -y "$@" >/dev/null; fi
}
command -v wrk >/dev/null 2>&1 || { echo "bench: installing wrk" >&2; apt_install wrk; }
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { echo "bench: installing nginx" >&2; apt_install nginx-light || apt_install nginx; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
pin0=() pin1=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then pin0=(taskset -c 0) pin1=(taskset -c 1); fi

cd "$root"
cargo build --release -q -p myc-gateway -p myc-tower --example bench_server
cargo build --release -q -p myc-gateway
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

up_port="$(port)"; nginx_port="$(port)"; gw_port="$(port)"
TOKIO_WORKER_THREADS=1 "${pin1[@]}" "$root/target/release/examples/bench_server" bare "127.0.0.1:$up_port" >/dev/null &
pids+=($!)

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

[[priv]]
host = "127.0.0.1:$up_port"
[[priv.path]]
group = "protected"
path = "/"
methods = ["GET"]
CONF
"$root/target/release/myc-gateway" accounts create --config "$work/gateway.toml" --email bench@example.com >/dev/null
TOKIO_WORKER_THREADS=1 "${pin0[@]}" "$root/target/release/myc-gateway" serve --config "$work/gateway.toml" \
  --listen "127.0.0.1:$gw_port" >/dev/null 2>"$work/gateway.log" &
pids+=($!)
token="$("$root/target/release/myc-gateway" tokens mint --config "$work/gateway.toml" --email bench@example.com)"
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$gw_port/pub/" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$nginx_port/" >/dev/null 2>&1 && break
  sleep 0.1
done

declare -A url hdr
url[direct]="http://127.0.0.1:$up_port/"; hdr[direct]="x-bench: 1"
url[nginx]="http://127.0.0.1:$nginx_port/"; hdr[nginx]="x-bench: 1"
url[public]="http://127.0.0.1:$gw_port/pub/"; hdr[public]="x-bench: 1"
url[protected]="http://127.0.0.1:$gw_port/priv/"; hdr[protected]="authorization: Bearer $token"
modes=(direct nginx public protected)
results="$work/results"
for round in $(seq "$rounds"); do
  for mode in "${modes[@]}"; do
    "${pin1[@]}" wrk -t1 -c32 -d1s -H "${hdr[$mode]}" "${url[$mode]}" >/dev/null
    out="$("${pin1[@]}" wrk -t1 -c32 -d"${secs}s" --latency -H "${hdr[$mode]}" "${url[$mode]}")"
    if echo "$out" | grep -q "Non-2xx"; then echo "bench: $mode answered non-2xx" >&2; echo "$out" >&2; exit 1; fi
    rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
    p99="$(echo "$out" | awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else {sub(/s$/, "", v); v *= 1000}; print v}')"
    echo "$mode $rps $p99" >>"$results"
    echo "bench: round $round $mode $rps req/s p99 ${p99}ms" >&2
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
nginx_rps="$(awk '$1 == "nginx" {print $2}' "$results" | median)"
direct_rps="$(awk '$1 == "direct" {print $2}' "$results" | median)"
printf '%-10s %12s %10s %10s %10s\n' mode "req/s (med)" "p99 ms" "vs nginx" "vs direct"
for mode in "${modes[@]}"; do
  rps="$(awk -v m="$mode" '$1 == m {print $2}' "$results" | median)"
  p99="$(awk -v m="$mode" '$1 == m {print $3}' "$results" | median)"
  printf '%-10s %12s %10s %10s %10s\n' "$mode" "$rps" "$p99" \
    "$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN {printf "%.2fx", a / b}')" \
    "$(awk -v a="$rps" -v b="$direct_rps" 'BEGIN {printf "%.2fx", a / b}')"
done
