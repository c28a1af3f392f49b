#!/usr/bin/env bash
# The gateway's edge beyond HTTP/1.1, in one run on loopback, as paired per-round ratios:
#   h2: h2load over TLS (ALPN h2, 32 connections x 8 streams) against nginx's h2 proxy_pass and
#       the gateway's public route (its TLS termination, HTTP/1.1 pooled upstream). Goal >= 0.85x.
#   ws: WebSocket echo messages/s (32 connections, one 64-byte message in flight each) directly
#       against the upstream and through the gateway's protected route (HS256 token checked on
#       the upgrade). Goal >= 0.8x.
# Proxies on CPU 0, load generators and upstreams on CPU 1. Installs nginx and h2load
# (nghttp2-client) when missing. Usage: bench/edge.sh [SECONDS_PER_RUN (3)] [ROUNDS (5)]
set -euo pipefail
secs="${1:-3}"
rounds="${2:-5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
apt_install() {
  if [ "$(id -u)" = 0 ]; then apt-get install -y "$@" >/dev/null; else sudo apt-get install -y "$@" >/dev/null; fi
}
command -v h2load >/dev/null 2>&1 || { echo "bench: installing h2load" >&2; apt_install nghttp2-client; }
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { echo "bench: installing nginx" >&2; apt_install nginx-light || apt_install nginx; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

cd "$root"
cargo build --release -q -p myc-tower --example bench_server
cargo build --release -q -p myc-gateway --example ws_bench
cargo build --release -q -p myc-gateway
bin="$root/target/release"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null

up_port="$(free_port)"; ws_port="$(free_port)"; nginx_port="$(free_port)"
tls_port="$(free_port)"; gw_port="$(free_port)"
TOKIO_WORKER_THREADS=1 "${pin1[@]}" "$bin/examples/bench_server" bare "127.0.0.1:$up_port" >/dev/null &
pids+=($!)
TOKIO_WORKER_THREADS=1 "${pin1[@]}" "$bin/examples/ws_bench" server "127.0.0.1:$ws_port" &
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
  upstream app { server 127.0.0.1:$up_port; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    keepalive_requests 1000000;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    http2_max_concurrent_streams 256;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
"${pin0[@]}" "$nginx_bin" -c "$work/nginx.conf" -p "$work/nginx" &
pids+=($!)

export BENCH_JWT_SECRET="bench-secret-with-at-least-thirty-two-bytes"
services() {
  cat <<CONF
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

[[ws]]
host = "127.0.0.1:$ws_port"
[[ws.path]]
group = "protected"
path = "/"
methods = ["GET"]
CONF
}
{ printf '[gateway]\naddressing = "service-prefix"\n[api.tls.define]\ntlsCert = { file = "cert.pem" }\ntlsKey = { file = "key.pem" }\n'; services; } >"$work/tls.toml"
{ printf '[gateway]\naddressing = "service-prefix"\n'; services; } >"$work/plain.toml"
"$bin/myc-gateway" accounts create --config "$work/plain.toml" --email bench@example.com >/dev/null
token="$("$bin/myc-gateway" tokens mint --config "$work/plain.toml" --email bench@example.com)"
RUST_LOG=warn "${pin0[@]}" "$bin/myc-gateway" serve --workers 1 --config "$work/tls.toml" \
  --listen "127.0.0.1:$tls_port" >/dev/null 2>"$work/tls.log" &
tls_pid=$!
pids+=($tls_pid)
RUST_LOG=warn "${pin0[@]}" "$bin/myc-gateway" serve --workers 1 --config "$work/plain.toml" \
  --listen "127.0.0.1:$gw_port" >/dev/null 2>"$work/plain.log" &
pids+=($!)
for _ in $(seq 50); do
  curl -skf "https://127.0.0.1:$tls_port/pub/" >/dev/null 2>&1 && curl -skf "https://127.0.0.1:$nginx_port/" >/dev/null 2>&1 && break
  sleep 0.1
done

# h2load prints "finished in 3.00s, 12345.67 req/s, ..."; non-2xx answers fail the run.
h2rate() {
  local out
  out="$("${pin1[@]}" h2load -c 32 -m 8 -D "$secs" "$1" 2>&1)"
  if ! echo "$out" | grep -Eq 'status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx'; then echo "$out" >&2; return 1; fi
  echo "$out" | awk '/^finished in/ {print $4}'
}
wsrate() { "${pin1[@]}" "$bin/examples/ws_bench" client "$1" 32 "$secs" ${2:+"$2"}; }

results="$work/results"
for round in $(seq "$rounds"); do
  for mode in nginx-h2 gateway-h2 ws-direct ws-gateway; do
    case "$mode" in
      nginx-h2) rate="$(h2rate "https://127.0.0.1:$nginx_port/")" ;;
      gateway-h2) rate="$(h2rate "https://127.0.0.1:$tls_port/pub/")" ;;
      ws-direct) rate="$(wsrate "ws://127.0.0.1:$ws_port/")" ;;
      ws-gateway) rate="$(wsrate "ws://127.0.0.1:$gw_port/ws/" "$token")" ;;
    esac
    echo "$mode $round $rate" >>"$results"
    echo "bench: round $round $mode $rate" >&2
  done
done
ratio() {
  awk -v m="$1" -v b="$2" '$1 == b {base[$2] = $3} $1 == m {mode[$2] = $3}
    END {for (r in mode) if (base[r] > 0) print mode[r] / base[r]}' "$results" | median
}
rate_of() { awk -v m="$1" '$1 == m {print $3}' "$results" | median; }
printf '%-12s %14s %12s\n' mode "rate (median)" "paired ratio"
printf '%-12s %14s %12s\n' nginx-h2 "$(rate_of nginx-h2) req/s" "1.00x"
printf '%-12s %14s %11.2fx\n' gateway-h2 "$(rate_of gateway-h2) req/s" "$(ratio gateway-h2 nginx-h2)"
printf '%-12s %14s %12s\n' ws-direct "$(rate_of ws-direct) msg/s" "1.00x"
printf '%-12s %14s %11.2fx\n' ws-gateway "$(rate_of ws-gateway) msg/s" "$(ratio ws-gateway ws-direct)"
