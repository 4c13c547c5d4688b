# Memory and latency under overload (issue: throughput, point 4).
#   drop_oldest  bench/pipelines/overload.toml for --seconds (default 60): the looped video
#                decodes far faster than CenterNet runs. Resident memory (VmRSS) is sampled
#                every 0.25 s; after the first --settle seconds (model loading, queues
#                filling) max - median must stay under 10 MB. End-to-end latency at the
#                sink (p50/p99) must stay bounded: about (capacity + 1) model passes.
#                Each of --runs runs is done twice, interleaved: with the runtime's malloc
#                setting (keep freed memory, framework/src/keep_freed_memory.h) and with
#                glibc's defaults (SLUICE_KEEP_FREED_MEMORY=0). Reported per run and as
#                medians: the spread (max - median) and the growth of the median over the
#                run (median of the last third minus median of the first third).
#   block        the same pipeline over --block-frames frames of the video, not looped,
#                with overflow = "block": every frame the source emitted reaches the sink.
#
#   /usr/bin/python3 bench/overload.py [--seconds 60] [--settle 5] [--runs 3] [--block-frames 60] [--no-block]
#   OVERLOAD_PIPELINE=bench/pipelines/overload_nomodel.toml ...   # a 150 ms delay node instead of
#                                                                 # the model: the same, without LibTorch
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIPELINE = os.environ.get("OVERLOAD_PIPELINE", f"{ROOT}/bench/pipelines/overload.toml")


def rss_mb(pid):
    """(VmRSS, RssAnon) in MB: all resident memory, and the part that is the process's own
    allocations (RssFile, the rest, is mapped files such as LibTorch's code, which the
    kernel may drop and fault in again on its own)."""
    got = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon"):
                got[key] = int(line.split()[1]) / 1024.0
    return (got["VmRSS"], got["RssAnon"]) if len(got) == 2 else None


def node(stats, name):
    return next(n for n in stats["nodes"] if n["name"] == name)


def drop_oldest(args, work, keep_freed):
    stats_path = f"{work}/drop.json"
    env = dict(os.environ, SLUICE_KEEP_FREED_MEMORY="1" if keep_freed else "0")
    p = subprocess.Popen([f"{ROOT}/build/bin/sluice", "run", "-q", PIPELINE, "--stats-json", stats_path], env=env)
    start = time.monotonic()
    samples = []  # (seconds since start, VmRSS MB, RssAnon MB)
    while time.monotonic() - start < args.seconds:
        time.sleep(0.25)
        mb = rss_mb(p.pid)
        if mb is not None:
            samples.append((time.monotonic() - start, *mb))
    p.send_signal(signal.SIGINT)  # stop the source; what is in flight drains
    if p.wait(timeout=60) != 0:
        sys.exit("sluice failed under overload")
    stats = json.load(open(stats_path))
    settled = [rss for t, rss, _ in samples if t >= args.settle]
    anon = [a for t, _, a in samples if t >= args.settle]
    growth = max(settled) - statistics.median(settled)
    anon_growth = max(anon) - statistics.median(anon)
    model, sink, video = node(stats, "model"), node(stats, "sink"), node(stats, "video")
    queue = model["queues"][0]
    print(f"drop_oldest, {'keep freed memory' if keep_freed else 'glibc defaults'}, {args.seconds} s: RSS median {statistics.median(settled):.1f} MB, "
          f"max {max(settled):.1f} MB, min {min(settled):.1f} MB -> max - median {growth:.2f} MB "
          f"({'met' if growth < 10 else 'NOT met'}: < 10 MB), {len(settled)} samples after {args.settle} s")
    print(f"  of which the process's own (RssAnon): median {statistics.median(anon):.1f} MB, max {max(anon):.1f} MB "
          f"-> max - median {anon_growth:.2f} MB")
    e2e = sink["end_to_end_ms"]
    print(f"  source emitted {video['emitted']}, model processed {model['processed']} "
          f"(p50 {model['latency_ms']['p50']:.0f} ms), dropped at its queue {queue['dropped']} "
          f"(capacity {queue['capacity']}, high water {queue['high_water']}); "
          f"end-to-end at the sink p50 {e2e['p50']:.0f} ms, p99 {e2e['p99']:.0f} ms")
    # RSS over time, one line per 5 s, to show it is flat.
    third = len(settled) // 3
    drift = statistics.median(settled[-third:]) - statistics.median(settled[:third])
    print(f"  drift: median RSS of the last third minus the first third: {drift:+.1f} MB")
    print("  RSS (anon) by time: " + ", ".join(f"{t:.0f}s {rss:.1f} ({a:.1f})" for t, rss, a in samples
                                                 if abs(t % 5) < 0.25), flush=True)
    return {"spread": growth, "anon_spread": anon_growth, "median": statistics.median(settled), "drift": drift,
            "p99_ms": e2e["p99"]}


def block(args, work):
    stats_path = f"{work}/block.json"
    clip = f"{work}/clip.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", f"{ROOT}/assets/media/vtest.avi", "-an", "-frames:v",
                    str(args.block_frames), "-c:v", "ffv1", clip], check=True)
    subprocess.run([f"{ROOT}/build/bin/sluice", "run", "-q", PIPELINE, "--set", f"nodes.video.path={clip}",
                    "--set", "nodes.video.loop=false", "--stats-json", stats_path], check=True,
                   env=dict(os.environ, SLUICE_OVERFLOW="block"))
    stats = json.load(open(stats_path))
    emitted, received = node(stats, "video")["emitted"], node(stats, "sink")["processed"]
    dropped = sum(q["dropped"] for n in stats["nodes"] for q in n.get("queues", []))
    print(f"block, {args.block_frames} frames: source emitted {emitted}, sink received {received}, "
          f"dropped {dropped} ({'met' if emitted == received == args.block_frames and dropped == 0 else 'NOT met'})")
    return emitted == received == args.block_frames and dropped == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--settle", type=float, default=5)
    ap.add_argument("--block-frames", type=int, default=60)
    ap.add_argument("--no-block", action="store_true", help="only the drop_oldest run")
    ap.add_argument("--runs", type=int, default=3, help="runs with each malloc setting")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-overload-")
    got = {True: [], False: []}
    for r in range(args.runs):
        for keep in (True, False):
            print(f"run {r + 1} of {args.runs}:", end=" ")
            got[keep].append(drop_oldest(args, work, keep))
    print(f"\n| malloc | runs | RSS max - median (MB) | RssAnon max - median | median growth over the run (MB) | median RSS (MB) | e2e p99 (ms) |")
    print("|---|---|---|---|---|---|---|")
    for keep in (True, False):
        runs = got[keep]
        col = lambda k: f"{statistics.median(x[k] for x in runs):.1f} ({', '.join(f'{x[k]:.1f}' for x in runs)})"
        print(f"| {'keep freed memory (default)' if keep else 'glibc defaults'} | {len(runs)} | {col('spread')} | "
              f"{col('anon_spread')} | {col('drift')} | {col('median')} | {col('p99_ms')} |")
    growth = statistics.median(x["spread"] for x in got[True])
    if args.no_block:
        return 0
    lossless = block(args, work)
    return 0 if growth < 10 and lossless else 1


if __name__ == "__main__":
    sys.exit(main())
