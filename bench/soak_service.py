#!/usr/bin/python3
"""Soak of sluice as a long-lived service: one uri_source with four streams (two looping
files, two network streams from ffmpeg servers on 127.0.0.1 that are killed and restarted
every 60 s), a stream added and another removed through the HTTP API every 30 s, a video
per stream and a count of every frame, for 10 minutes.

Samples resident memory, heap in use (malloc's), threads and open descriptors from /metrics
every 30 s (15 s after
each add/remove, so that no stream is half-added), and reports their spread after the
warm-up (max - median; target: flat, under 10 MB, 0 threads, 0 descriptors). Checks that
every removed stream's video is whole (ffprobe decodes every frame the API said it read),
and that nothing was lost on `block` queues (no drop, no unmatched).

  /usr/bin/python3 bench/soak_service.py [--minutes 10] [--warmup-minutes 2]

Exit status: 0 when every check held, 1 otherwise.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUICE = os.environ.get("SLUICE", os.path.join(ROOT, "build/bin/sluice"))
VTEST = os.path.join(ROOT, "assets/media/vtest.avi")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clip(path, frames):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", VTEST, "-frames:v",
                    str(frames), "-c:v", "mpeg4", "-q:v", "5", path], check=True)
    return path


def server(port, log):
    """ffmpeg serving vtest.avi, looped at its rate, to one client on `port`."""
    return subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-re", "-stream_loop", "-1",
                             "-i", VTEST, "-c:v", "mpeg4", "-f", "mpegts",
                             f"tcp://127.0.0.1:{port}?listen=1"], stdout=log, stderr=log)


def api(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:  # not listening (yet, or any more)
        return 0, str(e)


def metric(text, name):
    m = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else None


def decoded_frames(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                        "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path],
                       capture_output=True, text=True)
    try:
        return int(r.stdout.strip()) if r.returncode == 0 else -1
    except ValueError:
        return -1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup-minutes", type=float, default=2)
    a = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        files = [clip(os.path.join(tmp, f"file{i}.avi"), 100 + 50 * i) for i in range(2)]
        extra = clip(os.path.join(tmp, "extra.avi"), 80)
        ports = [free_port(), free_port()]
        log = open(os.path.join(tmp, "ffmpeg.log"), "w")
        servers = [server(p, log) for p in ports]
        time.sleep(1)
        uris = files + [f"tcp://127.0.0.1:{p}" for p in ports]
        pipeline = os.path.join(tmp, "soak.toml")
        with open(pipeline, "w") as f:
            f.write(f"""[pipeline]
links = ["cams -> out.frame", "cams -> count"]
[nodes.cams]
plugin = "uri_source"
uris = {json.dumps(uris)}
loop = true
read_timeout_ms = 2000
reconnect_initial_ms = 200
reconnect_max_ms = 1000
[nodes.out]
plugin = "video_writer"
path = "{tmp}/out/cam{{stream}}.mp4"
[nodes.count]
plugin = "count_sink"
path = "{tmp}/counts.json"
print = false
""")
        port = free_port()
        stats = os.path.join(tmp, "stats.json")
        run_log = open(os.path.join(tmp, "sluice.log"), "w")
        run = subprocess.Popen([SLUICE, "run", "-q", pipeline, "--http", f"127.0.0.1:{port}",
                                "--stats-json", stats], stdout=run_log, stderr=run_log)
        for _ in range(300):  # until it serves and every stream has opened
            if _port_open(port) and api(port, "GET", "/readyz")[0] == 200:
                break
            time.sleep(0.1)
        t0 = time.monotonic()
        end = t0 + a.minutes * 60
        added, removed, samples = [], [], []
        next_churn, next_restart, next_sample = t0 + 30, t0 + 20, t0 + 15
        while time.monotonic() < end and run.poll() is None:
            now = time.monotonic()
            if now >= next_churn:
                status, body = api(port, "POST", "/api/nodes/cams/streams", {"uri": extra})
                if status == 201:
                    added.append(json.loads(body)["id"])
                else:
                    print(f"add failed: {status} {body}")
                    ok = False
                if len(added) > 1:
                    victim = added.pop(0)
                    status, body = api(port, "DELETE", f"/api/nodes/cams/streams/{victim}")
                    if status == 200:
                        removed.append(victim)
                    else:
                        print(f"remove {victim} failed: {status} {body}")
                        ok = False
                next_churn += 30
            if now >= next_restart:
                for i, p in enumerate(ports):
                    servers[i].kill()
                    servers[i].wait()
                    servers[i] = server(p, log)
                next_restart += 60
            if now >= next_sample:
                status, text = api(port, "GET", "/metrics")
                if status == 200:
                    samples.append((now - t0, metric(text, "sluice_process_resident_memory_bytes"),
                                    metric(text, "sluice_process_threads"),
                                    metric(text, "sluice_process_open_fds"),
                                    metric(text, "sluice_process_heap_in_use_bytes")))
                    print(f"  t={now - t0:5.0f} s  rss {samples[-1][1] / 1e6:7.1f} MB  "
                          f"heap in use {samples[-1][4] / 1e6:7.1f} MB  "
                          f"threads {samples[-1][2]:.0f}  fds {samples[-1][3]:.0f}  "
                          f"streams added {len(added) + len(removed)}, removed {len(removed)}")
                next_sample += 30
            time.sleep(0.2)
        status, listing = api(port, "GET", "/api/nodes/cams/streams")
        streams = {s["id"]: s for s in json.loads(listing)["streams"]} if status == 200 else {}
        run.send_signal(signal.SIGINT)
        code = run.wait(timeout=120)
        for s in servers:
            s.kill()
        if code != 0:
            print(f"sluice exited {code}: {open(os.path.join(tmp, 'sluice.log')).read()}")
            ok = False

        warm = [s for s in samples if s[0] >= a.warmup_minutes * 60]
        if len(warm) >= 2:
            for name, i, unit, scale, target in (("resident memory", 1, "MB", 1e6, 10),
                                                 ("heap in use", 4, "MB", 1e6, 10),
                                                 ("threads", 2, "", 1, 0),
                                                 ("open descriptors", 3, "", 1, 0)):
                values = [s[i] / scale for s in warm]
                spread = max(values) - statistics.median(values)
                flat = spread <= target
                ok &= flat
                print(f"{name}: median {statistics.median(values):.1f}{unit}, max "
                      f"{max(values):.1f}{unit}, spread {spread:.1f}{unit} "
                      f"({'flat' if flat else 'NOT flat'}, target <= {target}{unit})")
        else:
            print("too few samples after the warm-up")
            ok = False
        whole = 0
        for victim in removed:
            frames = decoded_frames(os.path.join(tmp, f"out/cam{victim}.mp4"))
            said = streams.get(victim, {}).get("frames")
            if frames <= 0 or (said is not None and frames != said):
                print(f"removed stream {victim}: the video decodes {frames} frames, the API "
                      f"said {said} were read")
                ok = False
            else:
                whole += 1
        print(f"removed streams: {len(removed)}, each video whole: {whole}/{len(removed)}")
        report = json.load(open(stats))
        lost = 0
        for node in report["nodes"]:
            for q in node["queues"]:
                if q["overflow"] == "block":
                    lost += q["dropped"] + q["unmatched"]
        counters = report["nodes"][0]["counters"]
        print(f"lost on block queues: {lost}; source counters: {counters}")
        ok &= lost == 0
    print("soak:", "every check held" if ok else "a check FAILED")
    return 0 if ok else 1


def _port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":
    sys.exit(main())
