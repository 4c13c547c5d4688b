#!/usr/bin/python3
"""Serving a model over HTTP, side by side in one run: (a) sluice (bench/serve/pipeline.toml:
http_request -> BlazeFace -> http_response, concurrent requests batched) against (b) the
seed's way, FastAPI + uvicorn with torch.no_grad() per request (bench/serve/fastapi_peer.py),
the same model, preprocessing and postprocessing. `hey` (Debian) posts the same JPEG at each
concurrency for DURATION seconds; the two servers alternate at each level.

Per run: requests/s (answers 200 only), p50 and p99 latency of the 200s (from hey's line
per request), other statuses,
and the server's resident memory (all its processes) sampled every 0.25 s: median and max.
Then 4x overload against sluice (max_queued 64): OVERLOAD clients together offering four
times the rate sluice served at the highest level (`hey -q`, an open loop): 503s at once,
the answered requests' latency bounded, a flat memory line (the highest RSS of the run's
first third against its last). Then HAMMER clients that post again as soon as they are
refused (no offered rate: a stress), reported beside.

  /usr/bin/python3 bench/serve_compare.py [--duration 30] [--levels 1,8,32,64]
      [--overload 256] [--hammer 256] [--peer-workers 2] [--image assets/media/astronaut.png]

The image (one face) is posted as a JPEG (quality 90). Before the load, one request to each
server checks that both find the same faces (boxes within 0.01 px): the same work; and
fifteen on one kept-alive connection against fifteen on new ones check that neither
server's answers wait on Nagle's algorithm (at most 20 ms later): the same TCP.

Targets (issue 17): at concurrency >= 8, sluice at least 2x the peer's requests/s; p99
below the peer's at every level; at overload a flat memory line with 503s.
Needs hey, python3-fastapi, python3-uvicorn (scripts/setup.sh installs them).
Exit status: 0 when every run worked (whether or not the targets are met), 1 otherwise.
"""
import argparse
import csv
import http.client
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import tempfile
import urllib.request
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUICE = os.environ.get("SLUICE", os.path.join(ROOT, "build/bin/sluice"))
MODEL = os.path.join(ROOT, "assets/models/blazeface_front128.pt")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_of_tree(pid):
    """Resident bytes of `pid` and its children (uvicorn's workers)."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def wait_ready(url, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


class Server:
    def __init__(self, kind, workers):
        self.kind, self.port = kind, free_port()
        if kind == "sluice":
            command = [SLUICE, "run", "-q", os.path.join(ROOT, "bench/serve/pipeline.toml"),
                       "--http", f"127.0.0.1:{self.port}"]
            self.url = f"http://127.0.0.1:{self.port}/v1/pipelines/faces/infer"
            ready = f"http://127.0.0.1:{self.port}/readyz"
            env = dict(os.environ)
        else:
            command = ["/usr/bin/python3", "-m", "uvicorn", "fastapi_peer:app", "--app-dir",
                       os.path.join(ROOT, "bench/serve"), "--host", "127.0.0.1", "--port",
                       str(self.port), "--workers", str(workers), "--log-level", "warning"]
            self.url = f"http://127.0.0.1:{self.port}/infer"
            ready = f"http://127.0.0.1:{self.port}/health"
            env = dict(os.environ, SERVE_MODEL=MODEL, SERVE_TORCH_THREADS="1")
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        if not wait_ready(ready):
            self.stop()
            raise RuntimeError(f"{kind} did not become ready: {self.process.stderr.read().decode()}")

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def hey(url, image, concurrency, duration, pid, rate=None):
    """Runs hey against `url` (each of its `concurrency` clients at most `rate` requests a
    second when given); its figures, from hey's line per request, and the server's memory
    while it ran."""
    samples, stop = [], threading.Event()
    began = time.monotonic()

    def sample():
        while not stop.wait(0.25):
            samples.append((time.monotonic() - began, rss_of_tree(pid)))

    sampler = threading.Thread(target=sample)
    sampler.start()
    command = ["hey", "-z", f"{duration}s", "-c", str(concurrency), "-m", "POST",
               "-T", "image/jpeg", "-D", image, "-t", "30", "-o", "csv"]
    if rate:
        command += ["-q", f"{rate:.3f}"]
    r = subprocess.run(command + [url], capture_output=True, text=True)
    stop.set()
    sampler.join()
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    if r.returncode != 0 or not rows:
        raise RuntimeError(f"hey failed: {r.stderr}\n{r.stdout[-2000:]}")
    codes, answered = {}, []
    for row in rows:
        code = int(row["status-code"])
        codes[code] = codes.get(code, 0) + 1
        if code == 200:
            answered.append(float(row["response-time"]))
    answered.sort()
    seconds = max(float(row["offset"]) + float(row["response-time"]) for row in rows)
    rss = [m for _, m in samples]
    third = max(1, len(samples) // 3)
    return {"rps": len(answered) / seconds, "sent_per_s": len(rows) / seconds,
            "p50_ms": percentile(answered, 0.50) * 1e3, "p99_ms": percentile(answered, 0.99) * 1e3,
            "codes": codes,
            "rss_median_mb": statistics.median(rss) / 2**20 if rss else float("nan"),
            "rss_max_mb": max(rss) / 2**20 if rss else float("nan"),
            "rss_min_mb": min(rss) / 2**20 if rss else float("nan"),
            # A flat line: the highest of the first third against the highest of the last.
            "rss_first_third_max_mb": max(rss[:third]) / 2**20 if rss else float("nan"),
            "rss_last_third_max_mb": max(rss[-third:]) / 2**20 if rss else float("nan")}


def faces_of(url, image):
    """The boxes one request gets, to check that both servers do the same work."""
    with open(image, "rb") as f:
        request = urllib.request.Request(url, data=f.read(), headers={"Content-Type": "image/jpeg"})
    with urllib.request.urlopen(request, timeout=30) as r:
        answer = json.load(r)
    return [[d["box"][k] for k in ("x", "y", "w", "h")] for d in answer["detections"]]


def keep_alive_penalty_ms(url, image, n=15):
    """How much later an answer comes on a kept-alive connection than on a new one (medians
    of n requests each, one at a time). About 40 ms when a server's answers wait for the
    client's delayed ACK (Nagle's algorithm on): a defect both servers once had, which
    would make the comparison one of TCP settings."""
    u = urlsplit(url)
    with open(image, "rb") as f:
        body = f.read()
    headers = {"Content-Type": "image/jpeg"}

    def timed(connection):
        t = time.perf_counter()
        connection.request("POST", u.path, body=body, headers=headers)
        connection.getresponse().read()
        return time.perf_counter() - t

    kept = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    timed(kept)
    on_kept = [timed(kept) for _ in range(n)]
    kept.close()
    on_new = []
    for _ in range(n):
        fresh = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        on_new.append(timed(fresh))
        fresh.close()
    return 1000 * (statistics.median(on_kept) - statistics.median(on_new))


def show(kind, c, f):
    other = {k: v for k, v in f["codes"].items() if k != 200}
    print(f"  {kind:7} c={c:3}: {f['rps']:8.1f} req/s, p50 {f['p50_ms']:7.1f} ms, "
          f"p99 {f['p99_ms']:7.1f} ms, RSS median {f['rss_median_mb']:.0f} MB "
          f"(max {f['rss_max_mb']:.0f}){', other: ' + str(other) if other else ''}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--levels", default="1,8,32,64")
    parser.add_argument("--overload", type=int, default=256,
                        help="clients offering 4x sluice's rate at the highest level; 0: none")
    parser.add_argument("--hammer", type=int, default=256,
                        help="clients posting without pause against sluice alone; 0: none")
    parser.add_argument("--peer-workers", type=int, default=2)
    parser.add_argument("--image", default=os.path.join(ROOT, "assets/media/astronaut.png"))
    a = parser.parse_args()
    import cv2  # noqa: E402 (only here: the module's other users need no OpenCV)
    picture = cv2.imread(a.image)
    if picture is None:
        print(f"cannot read {a.image}", file=sys.stderr)
        return 1
    jpeg = os.path.join(tempfile.mkdtemp(), "request.jpg")
    cv2.imwrite(jpeg, picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
    a.image = jpeg
    levels = [int(x) for x in a.levels.split(",")]
    results = {}
    try:
        found = {}
        for kind in ("sluice", "fastapi"):
            server = Server(kind, a.peer_workers)
            try:
                found[kind] = faces_of(server.url, a.image)
                late = keep_alive_penalty_ms(server.url, a.image)
            finally:
                server.stop()
            print(f"{kind}: an answer on a kept-alive connection {late:+.1f} ms against a new "
                  f"connection's", flush=True)
            if late > 20:
                print(f"{kind}'s answers on kept-alive connections are {late:.0f} ms late "
                      f"(Nagle's algorithm waiting for a delayed ACK?): not a fair run",
                      file=sys.stderr)
                return 1
        same = len(found["sluice"]) == len(found["fastapi"]) and all(
            abs(x - y) < 0.01 for p, q in zip(found["sluice"], found["fastapi"]) for x, y in zip(p, q))
        print(f"faces found: sluice {found['sluice']}, FastAPI {found['fastapi']}: "
              f"{'the same' if same else 'DIFFERENT'}", flush=True)
        if not same:
            return 1
        for c in levels:
            for kind in ("sluice", "fastapi"):
                server = Server(kind, a.peer_workers)
                try:
                    hey(server.url, a.image, c, 3, server.process.pid)  # warm-up
                    results[(kind, c)] = hey(server.url, a.image, c, a.duration,
                                             server.process.pid)
                finally:
                    server.stop()
                show(kind, c, results[(kind, c)])
        print("\n| concurrency | sluice req/s | FastAPI req/s | ratio | sluice p50 / p99 ms | "
              "FastAPI p50 / p99 ms | sluice RSS MB | FastAPI RSS MB |")
        print("|---|---|---|---|---|---|---|---|")
        for c in levels:
            s, p = results[("sluice", c)], results[("fastapi", c)]
            print(f"| {c} | {s['rps']:.1f} | {p['rps']:.1f} | **{s['rps'] / p['rps']:.2f}** | "
                  f"{s['p50_ms']:.1f} / {s['p99_ms']:.1f} | {p['p50_ms']:.1f} / {p['p99_ms']:.1f} | "
                  f"{s['rss_median_mb']:.0f} | {p['rss_median_mb']:.0f} |")
        if a.overload:
            # 4x overload: an offered rate four times what sluice served at the highest
            # level, from OVERLOAD clients at a fixed rate each (an open loop, as many
            # independent clients are), so that the offered load does not depend on how
            # fast the server refuses.
            capacity = results[("sluice", levels[-1])]["rps"]
            offered = 4 * capacity
            server = Server("sluice", a.peer_workers)
            try:
                hey(server.url, a.image, levels[-1], 3, server.process.pid)  # warm-up
                f = hey(server.url, a.image, a.overload, a.duration, server.process.pid,
                        rate=offered / a.overload)
            finally:
                server.stop()
            print(f"overload: {offered:.0f} requests/s offered (4x {capacity:.1f}) by "
                  f"{a.overload} clients; sent {f['sent_per_s']:.1f}/s", flush=True)
            show("sluice", a.overload, f)
            print(f"overload: {f['codes'].get(200, 0)} answered ({f['rps']:.1f}/s), "
                  f"{f['codes'].get(503, 0)} refused 503; answered p50 {f['p50_ms']:.1f} ms, "
                  f"p99 {f['p99_ms']:.1f} ms; RSS max in the first third "
                  f"{f['rss_first_third_max_mb']:.0f} MB, in the last third "
                  f"{f['rss_last_third_max_mb']:.0f} MB (min {f['rss_min_mb']:.0f}, max "
                  f"{f['rss_max_mb']:.0f})", flush=True)
        if a.hammer:
            # Clients that ignore Retry-After and post again at once, as fast as the server
            # refuses: not an offered rate but a stress, reported beside.
            server = Server("sluice", a.peer_workers)
            try:
                f = hey(server.url, a.image, a.hammer, a.duration, server.process.pid)
            finally:
                server.stop()
            show("sluice", a.hammer, f)
            print(f"hammer c={a.hammer}: {f['codes'].get(200, 0)} answered ({f['rps']:.1f}/s), "
                  f"{f['codes'].get(503, 0)} refused 503 ({f['sent_per_s']:.0f} sent/s); "
                  f"answered p99 {f['p99_ms']:.1f} ms; RSS first third max "
                  f"{f['rss_first_third_max_mb']:.0f} MB, last third max "
                  f"{f['rss_last_third_max_mb']:.0f} MB", flush=True)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
