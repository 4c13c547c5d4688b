#!/usr/bin/python3
"""What serving a run over HTTP costs: the same pipeline with and without `--http`, side by
side in one run, interleaved (plain, http, plain, http, ...).

With `--http`, curl reads /metrics and /api/pipeline every second for the whole run (as
Prometheus and a dashboard would; a C client, so the scraper itself costs little CPU), and
one preview client (curl) watches /preview/NODE?width=480 of the pipeline's sink as MJPEG
throughout (what the page at / asks for: its preview boxes are 480 pixels wide).
Rate = packets (or frames) / process wall time, timed here around each whole process; CPU =
the process's user + system seconds (from wait4), which a noisy machine disturbs less than
the rate, and which says what the service costs when the cores are shared.
Prints every round, the medians and the ratios (target: http at most 2% slower).

  /usr/bin/python3 bench/http_cost.py [--rounds 5] [--packets 1000000] [--detect] [--no-preview]

  --detect      also pipelines/detect.toml on vtest.avi (795 frames through CenterNet; slow)
  --no-preview  without the preview client
Exit status: 0 when every run succeeded (whether or not the target is met), 1 otherwise.
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUICE = os.environ.get("SLUICE", os.path.join(ROOT, "build/bin/sluice"))

CHAIN = """[pipeline]
links = ["src -> p1 -> p2 -> p3 -> p4 -> p5 -> p6 -> p7 -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = {n}
width = 1
height = 1
{passes}
[nodes.sink]
plugin = "null_sink"
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, stop, counts):
    """curl reads /metrics and /api/pipeline every second until `stop`."""
    while not stop.wait(1.0):
        for path in ("/metrics", "/api/pipeline"):
            r = subprocess.run(["curl", "-sf", "-o", "/dev/null", "--max-time", "5",
                                f"http://127.0.0.1:{port}{path}"])
            if r.returncode == 0:
                counts[path] = counts.get(path, 0) + 1


def watch(port, node, stop, counts):
    """One MJPEG client (curl) on /preview/NODE while the run goes on; counts the bytes."""
    while not stop.is_set():
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}",
                            "--max-time", "600", f"http://127.0.0.1:{port}/preview/{node}?width=480"],
                           capture_output=True, text=True)
        counts["preview_bytes"] = counts.get("preview_bytes", 0) + int(r.stdout or 0)
        stop.wait(0.2)  # not listening yet, or the run ended


def run(args, http, preview):
    command = [SLUICE, "run", "-q"] + args
    port = free_port()
    if http:
        command += ["--http", f"127.0.0.1:{port}"]
    stop, counts = threading.Event(), {}
    helpers = []
    if http:
        helpers.append(threading.Thread(target=scrape, args=(port, stop, counts)))
        if preview:
            helpers.append(threading.Thread(target=watch, args=(port, preview, stop, counts)))
    t0 = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for h in helpers:
        h.start()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    counts["cpu_s"] = usage.ru_utime + usage.ru_stime
    stop.set()
    for h in helpers:
        h.join()
    if child.returncode != 0:
        print(f"run failed ({child.returncode}): {' '.join(command)}\n{err.decode()}", file=sys.stderr)
        return None, counts
    return wall, counts


def compare(name, args, units, rounds, preview):
    plain, served, scrapes = [], [], 0
    plain_cpu, served_cpu = [], []
    for r in range(rounds):
        a, plain_counts = run(args, False, None)
        b, counts = run(args, True, preview)
        if a is None or b is None:
            return False
        plain.append(units / a)
        served.append(units / b)
        plain_cpu.append(plain_counts["cpu_s"])
        served_cpu.append(counts["cpu_s"])
        scrapes += counts.get("/metrics", 0)
        print(f"  {name} round {r + 1}: plain {units / a:,.1f}/s ({plain_counts['cpu_s']:.1f} CPU s), "
              f"--http {units / b:,.1f}/s ({counts['cpu_s']:.1f} CPU s; "
              f"{counts.get('/metrics', 0)} scrapes, "
              f"{counts.get('preview_bytes', 0) / 1e3:,.0f} kB of preview)", flush=True)
    mp, ms = statistics.median(plain), statistics.median(served)
    cp, cs = statistics.median(plain_cpu), statistics.median(served_cpu)
    print(f"{name}: median plain {mp:,.1f}/s (min {min(plain):,.1f}, max {max(plain):,.1f}), "
          f"--http {ms:,.1f}/s (min {min(served):,.1f}, max {max(served):,.1f}); "
          f"--http/plain = {ms / mp:.3f} ({(1 - ms / mp) * 100:+.1f}% slower), "
          f"{scrapes} scrapes of /metrics; CPU median plain {cp:.1f} s, --http {cs:.1f} s "
          f"(--http/plain = {cs / cp:.3f})", flush=True)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--detect", action="store_true")
    parser.add_argument("--no-preview", action="store_true")
    a = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        chain = os.path.join(tmp, "chain.toml")
        passes = "\n".join(f'[nodes.p{i}]\nplugin = "passthrough"' for i in range(1, 8))
        with open(chain, "w") as f:
            f.write(CHAIN.format(n=a.packets, passes=passes))
        ok &= compare("passthrough chain, 1x1 frames", [chain], a.packets, a.rounds,
                      None if a.no_preview else "sink")
        if a.detect:
            os.environ["SLUICE_OUT"] = tmp
            ok &= compare("detect.toml on vtest.avi", [os.path.join(ROOT, "pipelines/detect.toml")],
                          795, a.rounds, None if a.no_preview else "out")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
