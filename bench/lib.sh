# Shared by bench/tower.sh and bench/gateway.sh (sourced): CPU pinning, free ports, one wrk run
# with the server's CPU time per request, and the report of paired ratios.

# The server under test on CPU 0, load generator (and upstream) on CPU 1, when there are two.
pin0=() pin1=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then pin0=(taskset -c 0) pin1=(taskset -c 1); fi
clk_tck="$(getconf CLK_TCK)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# CPU time (utime + stime, clock ticks) of process $1, all its threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure PID SECONDS HEADER URL -> "RPS P99_MS CPU_US_PER_REQUEST": one wrk run (32 connections)
# against the server whose process is PID. Exits non-zero when the server answered non-2xx.
measure() {
  local pid="$1" secs="$2" header="$3" url="$4" before after out requests rps p99
  before="$(cpu_ticks "$pid")"
  out="$("${pin1[@]}" wrk -t1 -c32 -d"${secs}s" --latency -H "$header" "$url")"
  after="$(cpu_ticks "$pid")"
  if echo "$out" | grep -q "Non-2xx"; then echo "bench: $url answered non-2xx" >&2; echo "$out" >&2; return 1; fi
  requests="$(echo "$out" | awk '/requests in/ {print $1}')"
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p99="$(echo "$out" | awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else {sub(/s$/, "", v); v *= 1000}; print v}')"
  awk -v r="$rps" -v p="$p99" -v t=$((after - before)) -v hz="$clk_tck" -v n="$requests" \
    'BEGIN {printf "%s %s %.2f\n", r, p, t / hz * 1e6 / n}'
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# report RESULTS BASE MODE... : RESULTS holds "MODE ROUND RPS P99 CPU_US" lines. Prints, per mode,
# the median req/s and p99, the median over rounds of req/s divided by BASE's req/s in the same
# round, the median CPU µs per request and BASE's CPU per request divided by the mode's.
report() {
  local results="$1" base="$2"
  shift 2
  printf '%-10s %12s %8s %10s %12s %10s\n' mode "req/s (med)" "p99 ms" "vs $base" "CPU µs/req" "CPU vs $base"
  local mode rps p99 ratio cpu cpu_ratio base_cpu
  base_cpu="$(awk -v m="$base" '$1 == m {print $5}' "$results" | median)"
  for mode in "$@"; do
    rps="$(awk -v m="$mode" '$1 == m {print $3}' "$results" | median)"
    p99="$(awk -v m="$mode" '$1 == m {print $4}' "$results" | median)"
    ratio="$(awk -v m="$mode" -v b="$base" '$1 == b {base[$2] = $3} $1 == m {mode[$2] = $3}
      END {for (r in mode) if (base[r] > 0) print mode[r] / base[r]}' "$results" | median)"
    cpu="$(awk -v m="$mode" '$1 == m {print $5}' "$results" | median)"
    cpu_ratio="$(awk -v a="$base_cpu" -v b="$cpu" 'BEGIN {printf "%.2fx", a / b}')"
    printf '%-10s %12s %8s %9.2fx %12s %10s\n' "$mode" "$rps" "$p99" "$ratio" "$cpu" "$cpu_ratio"
  done
}
