#!/usr/bin/env bash
# Runtime overhead benchmark: a chain of do-nothing nodes, sluice against GStreamer.
#
#   source -> 7 x passthrough -> null_sink        (sluice: 9 threads, 8 queues of 8)
#   fakesrc -> 8 x queue, 7 x identity -> fakesink (GStreamer: 9 threads, 8 queues of 8)
#
# 1. Throughput: N packets as fast as possible, twice: empty packets, then 1x1 frames (a
#    payload allocated per packet, as real pipelines have: sluice's synthetic_source makes
#    a 1x1 BGR cv::Mat, fakesrc a 3-byte buffer). Rounds interleave the contenders
#    (sluice, gst, sluice, gst, ...). Packet rate = N / process wall time, measured here
#    around each whole process for both; sluice's own wall_s (from --stats-json) is shown
#    too. Prints per-round figures, medians, min/max, and the ratio of the median rates.
#    GStreamer gets the settings a careful user gives it: identity silent=true
#    signal-handoffs=false, queue silent=true (no per-buffer messages or signals).
# 2. Latency at light load: the same chains paced at LAT_FPS packets/s for LAT_SECONDS;
#    p50 source-to-sink time divided by the 8 queue hops. sluice: the null_sink's
#    end_to_end_ms from --stats-json; GStreamer: the core "latency" tracer
#    (fakesrc src pad push -> fakesink sink pad), read from its debug log.
#
# Usage: bench/passthrough_chain.sh          (from anywhere)
# Settings, by environment variable:
#   SLUICE=path        sluice binary (default: <repo>/build/bin/sluice)
#   GST_LAUNCH=path    gst-launch-1.0 (default: from PATH); SKIP_GST=1 runs sluice alone
#   N=2000000          packets per throughput run (sluice: ~3 s at 700k packets/s)
#   ROUNDS=5           throughput rounds (each: one sluice run, one gst run)
#   LAT_FPS=1000       packet rate of the latency runs
#   LAT_SECONDS=3      length of each latency run
#   LAT_ROUNDS=3       latency rounds (0: skip the latency part)
#   KEEP_DIR=dir       keep the generated pipeline, stats JSON and tracer logs there
#   PYTHON=path        python3 used to read the stats JSON (default /usr/bin/python3)
# Exit status: 0 when every run succeeded (whether or not the target is met), 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SLUICE=${SLUICE:-$ROOT/build/bin/sluice}
GST_LAUNCH=${GST_LAUNCH:-gst-launch-1.0}
SKIP_GST=${SKIP_GST:-0}
N=${N:-2000000}
ROUNDS=${ROUNDS:-5}
LAT_FPS=${LAT_FPS:-1000}
LAT_SECONDS=${LAT_SECONDS:-3}
LAT_ROUNDS=${LAT_ROUNDS:-3}
KEEP_DIR=${KEEP_DIR:-}
PYTHON=${PYTHON:-/usr/bin/python3}

PASSES=7      # passthrough / identity nodes
CAPACITY=8    # every queue, in packets
HOPS=$((PASSES + 1))
TARGET_RATIO=3

die() { echo "passthrough_chain: $*" >&2; exit 1; }
for v in N ROUNDS LAT_FPS LAT_SECONDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
[[ $LAT_ROUNDS =~ ^[0-9]+$ ]] || die "LAT_ROUNDS must be an integer >= 0, not '$LAT_ROUNDS'"
[[ -x $SLUICE ]] || die "no sluice binary at '$SLUICE' (set SLUICE=...)"
[[ -x $PYTHON ]] || die "no python3 at '$PYTHON' (set PYTHON=...); it reads the stats JSON"
if [[ $SKIP_GST != 1 ]]; then
  command -v "$GST_LAUNCH" >/dev/null || die "no '$GST_LAUNCH' (install gstreamer1.0-tools, or SKIP_GST=1)"
fi

if [[ -n $KEEP_DIR ]]; then
  mkdir -p "$KEEP_DIR"
  WORK=$(cd "$KEEP_DIR" && pwd)
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi

# Seconds, as a decimal, from the wall clock (bash 5's EPOCHREALTIME forks nothing).
now() { if [[ -n ${EPOCHREALTIME:-} ]]; then echo "$EPOCHREALTIME"; else date +%s.%N; fi; }

# ---- the pipelines -------------------------------------------------------------------

# write_pipeline FILE FPS FRAMES [SIDE]   (SIDE: frame width and height, 0 = empty packets)
write_pipeline() {
  local file=$1 fps=$2 frames=$3 side=${4:-0} chain="src" i
  for ((i = 1; i <= PASSES; i++)); do chain+=" -> p$i"; done
  chain+=" -> sink"
  {
    echo '[pipeline]'
    echo 'name = "passthrough_chain"'
    echo "links = [\"$chain\"]"
    echo
    echo '[nodes.src]'
    echo 'plugin = "synthetic_source"'
    echo "width = $side"
    echo "height = $side"
    echo "fps = $fps"
    echo "frames = $frames"
    for ((i = 1; i <= PASSES; i++)); do
      echo
      echo "[nodes.p$i]"
      echo 'plugin = "passthrough"'
      echo "queue = { capacity = $CAPACITY }"
    done
    echo
    echo '[nodes.sink]'
    echo 'plugin = "null_sink"'
    echo "queue = { capacity = $CAPACITY }"
  } >"$file"
}

GST_QUEUE=(queue "max-size-buffers=$CAPACITY" max-size-bytes=0 max-size-time=0 silent=true)
GST_CHAIN=()
for ((i = 1; i <= PASSES; i++)); do GST_CHAIN+=('!' "${GST_QUEUE[@]}" '!' identity silent=true signal-handoffs=false); done
GST_CHAIN+=('!' "${GST_QUEUE[@]}" '!' fakesink sync=false)

# ---- one run each --------------------------------------------------------------------

# Reads a sluice stats JSON: "status wall_s sink_processed e2e_p50_ms e2e_p99_ms".
read_stats() {
  "$PYTHON" - "$1" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
sink = next(n for n in j["nodes"] if n["plugin"] == "null_sink")
e2e = sink.get("end_to_end_ms") or {}
print(j["status"], j["wall_s"], sink["processed"], e2e.get("p50", "nan"), e2e.get("p99", "nan"))
EOF
}

# run_sluice TOML EXPECTED TAG -> sets PROC_S, WALL_S, E2E_P50, E2E_P99
run_sluice() {
  local toml=$1 expected=$2 tag=$3 t0 t1 status processed
  local json="$WORK/$tag.json"
  t0=$(now)
  if ! "$SLUICE" run "$toml" -q --stats-json "$json" >"$WORK/$tag.log" 2>&1; then
    cat "$WORK/$tag.log" >&2
    die "sluice run failed ($tag)"
  fi
  t1=$(now)
  PROC_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
  read -r status WALL_S processed E2E_P50 E2E_P99 < <(read_stats "$json")
  [[ $status == ok ]] || die "sluice run $tag: status '$status'"
  [[ $processed == "$expected" ]] || die "sluice run $tag: the sink got $processed packets, not $expected"
}

# run_gst TAG ARGS... -> sets PROC_S
run_gst() {
  local tag=$1 t0 t1
  shift
  t0=$(now)
  if ! "$GST_LAUNCH" -q "$@" >"$WORK/$tag.log" 2>&1; then
    cat "$WORK/$tag.log" >&2
    die "gst-launch run failed ($tag)"
  fi
  t1=$(now)
  PROC_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
}

# ---- statistics ----------------------------------------------------------------------

# stats VALUES... -> "median min max"
stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
# summary LABEL VALUES...: median, min..max, and the spread (max-min)/median
summary() {
  local label=$1 med lo hi
  shift
  read -r med lo hi < <(stats "$@")
  awk -v l="$label" -v m="$med" -v a="$lo" -v b="$hi" \
    'BEGIN { printf "  %-34s median %9.0f   min %9.0f   max %9.0f   spread %4.1f%%\n", l, m, a, b, 100 * (b - a) / m }'
}

# ---- other processes' CPU use (they skew the figures) ----------------------------------

HZ=$(getconf CLK_TCK)
# cpu_snapshot VAR: sets VAR to "busy_s total_s ours_s": the machine's busy and total CPU
# seconds so far (/proc/stat, steal and guest excluded), and the CPU seconds of this
# script's children. Runs in this shell (no $(...)): `times` only sees its own children.
cpu_snapshot() {
  local busy total
  busy=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
  times >"$WORK/times.txt"  # this shell's user and sys time, then its children's
  printf -v "$1" '%s' "$(sed -n 2p "$WORK/times.txt" | awk -v bt="$busy" -v hz="$HZ" '{
    split(bt, x, " "); c = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); c += a[1] * 60 + a[2] }
    printf "%.2f %.2f %.2f\n", x[1] / hz, x[2] / hz, c }')"
}
# other_cpu "SNAPSHOT_BEFORE" "SNAPSHOT_AFTER" -> "other_s total_s percent"
other_cpu() {
  awk -v x="$1" -v y="$2" 'BEGIN { split(x, a); split(y, b)
    o = (b[1] - a[1]) - (b[3] - a[3]); if (o < 0) o = 0; t = b[2] - a[2]; p = 0
    if (t > 0) p = 100 * o / t
    printf "%.1f %.1f %.0f\n", o, t, p }'
}

# ---- the run ---------------------------------------------------------------------------

snap="" snap_end="" SNAP_START=""  # set by cpu_snapshot
cpu_snapshot SNAP_START

echo "sluice passthrough-chain benchmark"
echo "  date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "  machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr)"
echo "  sluice:  $SLUICE"
# Which build ran: the binary and its sluice libraries, with mtime and a short hash.
{ echo "$SLUICE"; ldd "$SLUICE" 2>/dev/null | awk '/libsluice/ { print $3 }'; } | while read -r f; do
  if [[ -f $f ]]; then
    echo "           $(basename "$f"): $(date -u -r "$f" '+%Y-%m-%d %H:%M:%S UTC') sha256 $(sha256sum "$f" | cut -c1-12)"
  fi
done
[[ $SKIP_GST == 1 ]] || echo "  gst:     $("$GST_LAUNCH" --version | sed -n 2p)"
echo "  chain:   source -> $PASSES passthrough -> sink, $HOPS queues of capacity $CAPACITY (blocking)"
echo "  files:   $WORK${KEEP_DIR:+ (kept)}"
echo "  load:    $(cut -d' ' -f1-3 /proc/loadavg) before the start (1/5/15 min); anything else running skews the figures"
echo

# Fixed cost of a process (load plugins / registry, start and join threads): 1 packet.
write_pipeline "$WORK/one_packet.toml" 0 1
run_sluice "$WORK/one_packet.toml" 1 startup-sluice
startup_sluice=$PROC_S
startup_gst=-
if [[ $SKIP_GST != 1 ]]; then
  run_gst startup-gst fakesrc num-buffers=1 sizetype=empty "${GST_CHAIN[@]}"
  startup_gst=$PROC_S
  # Check once, on a small run, that the GStreamer chain delivers every buffer to the sink.
  delivered=$("$GST_LAUNCH" -v fakesrc num-buffers=1000 sizetype=empty "${GST_CHAIN[@]}" silent=false 2>&1 |
    grep -c 'fakesink0.*last-message = chain' || true)
  [[ $delivered == 1000 ]] || die "GStreamer check: fakesink got $delivered of 1000 buffers"
fi
echo "Startup (1 packet, whole process): sluice ${startup_sluice}s, gst ${startup_gst}s"
echo

for variant in empty 1x1; do
  if [[ $variant == empty ]]; then side=0 gst_payload=(sizetype=empty); else side=1 gst_payload=(sizetype=fixed sizemax=3); fi
  TOML="$WORK/passthrough_chain_$variant.toml"
  write_pipeline "$TOML" 0 "$N" "$side"
  echo "Throughput: N = $N packets ($variant), $ROUNDS rounds, interleaved"
  printf '  %-5s  %10s  %10s  %12s  %12s  %10s  %12s  %s\n' round "sluice s" "wall_s" "pkt/s" "pkt/s wall_s" "gst s" "gst pkt/s" "other CPU"
  sl_rate=() sl_rate_wall=() gst_rate=()
  for ((r = 1; r <= ROUNDS; r++)); do
    cpu_snapshot snap
    run_sluice "$TOML" "$N" "sluice-$variant-$r"
    sl_rate+=("$(rate "$N" "$PROC_S")")
    sl_rate_wall+=("$(rate "$N" "$WALL_S")")
    line=$(printf '  %-5s  %10.3f  %10.3f  %12s  %12s' "$r" "$PROC_S" "$WALL_S" "${sl_rate[-1]}" "${sl_rate_wall[-1]}")
    if [[ $SKIP_GST != 1 ]]; then
      run_gst "gst-$variant-$r" fakesrc num-buffers="$N" "${gst_payload[@]}" "${GST_CHAIN[@]}"
      gst_rate+=("$(rate "$N" "$PROC_S")")
      line+=$(printf '  %10.3f  %12s' "$PROC_S" "${gst_rate[-1]}")
    fi
    cpu_snapshot snap_end
    read -r _ _ pct < <(other_cpu "$snap" "$snap_end")
    echo "$line  $(printf '%8s' "$pct%")"
  done
  echo "Packet rates (packets/s):"
  summary "sluice (process time)" "${sl_rate[@]}"
  summary "sluice (wall_s from stats JSON)" "${sl_rate_wall[@]}"
  if [[ $SKIP_GST != 1 ]]; then
    summary "gst-launch-1.0 (process time)" "${gst_rate[@]}"
    read -r sl_med _ < <(stats "${sl_rate[@]}")
    read -r gst_med _ < <(stats "${gst_rate[@]}")
    ratio=$(awk -v a="$sl_med" -v b="$gst_med" 'BEGIN { printf "%.2f", a / b }')
    verdict=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? "MET" : "NOT MET" }')
    echo "Ratio sluice/gst of median packet rates ($variant, process time): ${ratio}x  (target >= ${TARGET_RATIO}x: $verdict)"
  fi
  echo
done
echo

if ((LAT_ROUNDS > 0)); then
  lat_frames=$((LAT_FPS * LAT_SECONDS))
  LTOML="$WORK/passthrough_chain_paced.toml"
  write_pipeline "$LTOML" "$LAT_FPS" "$lat_frames"
  echo "Latency: $LAT_FPS packets/s for ${LAT_SECONDS}s ($lat_frames packets), $LAT_ROUNDS rounds; per hop = p50 / $HOPS"
  printf '  %-5s  %12s  %12s  %12s  %12s  %12s  %12s  %s\n' round "sluice p50" "sluice p99" "sluice /hop" "gst p50" "gst p99" "gst /hop" "other CPU"
  sl_hop=() gst_hop=()
  for ((r = 1; r <= LAT_ROUNDS; r++)); do
    cpu_snapshot snap
    run_sluice "$LTOML" "$lat_frames" "latency-sluice-$r"
    sl_hop+=("$(awk -v p="$E2E_P50" -v h="$HOPS" 'BEGIN { printf "%.2f", p * 1000 / h }')")
    line=$(awk -v r="$r" -v a="$E2E_P50" -v b="$E2E_P99" -v c="${sl_hop[-1]}" \
      'BEGIN { printf "  %-5s  %9.1f us  %9.1f us  %9.2f us", r, a * 1000, b * 1000, c }')
    if [[ $SKIP_GST != 1 ]]; then
      log="$WORK/latency-gst-$r.tracer.log"
      # Paced by the clock: 1-byte buffers at LAT_FPS bytes/s, sync = true, live.
      GST_TRACERS=latency GST_DEBUG=GST_TRACER:7 GST_DEBUG_NO_COLOR=1 GST_DEBUG_FILE="$log" \
        run_gst "latency-gst-$r" fakesrc is-live=true sync=true datarate="$LAT_FPS" sizetype=fixed sizemin=1 sizemax=1 \
        num-buffers="$lat_frames" "${GST_CHAIN[@]}"
      # time=(guint64)NS per buffer, fakesrc0.src -> fakesink0.sink
      read -r count p50 p99 < <(grep 'latency, src-element-id' "$log" | grep 'src-element=(string)fakesrc0' |
        grep 'sink-element=(string)fakesink0' | sed -n 's/.*time=(guint64)\([0-9]*\).*/\1/p' | sort -n |
        awk '{ v[NR] = $1 } END { if (!NR) { print 0, "nan", "nan"; exit }
               i50 = int(0.50 * NR + 0.999999); i99 = int(0.99 * NR + 0.999999); print NR, v[i50], v[i99] }')
      ((count > 0)) || die "GStreamer latency tracer logged nothing (see $log)"
      gst_hop+=("$(awk -v p="$p50" -v h="$HOPS" 'BEGIN { printf "%.2f", p / 1000 / h }')")
      line+=$(awk -v a="$p50" -v b="$p99" -v c="${gst_hop[-1]}" \
        'BEGIN { printf "  %9.1f us  %9.1f us  %9.2f us", a / 1000, b / 1000, c }')
    fi
    cpu_snapshot snap_end
    read -r _ _ pct < <(other_cpu "$snap" "$snap_end")
    line+="  $(printf '%8s' "$pct%")"
    [[ $SKIP_GST == 1 ]] || ((count >= lat_frames * 9 / 10)) || line+="  (the tracer logged only $count buffers)"
    echo "$line"
  done
  read -r m lo hi < <(stats "${sl_hop[@]}")
  echo "Per-hop latency p50, median of rounds: sluice ${m} us (min ${lo}, max ${hi})"
  if [[ $SKIP_GST != 1 ]]; then
    read -r m lo hi < <(stats "${gst_hop[@]}")
    echo "                                      gst    ${m} us (min ${lo}, max ${hi})"
  fi
fi

cpu_snapshot snap_end
read -r other total pct < <(other_cpu "$SNAP_START" "$snap_end")
echo
echo -n "CPU time of other processes during the benchmark: ${other} s of ${total} s (${pct}%)"
((pct <= 5)) && echo || echo "  WARNING: a busy machine; rerun when idle"
