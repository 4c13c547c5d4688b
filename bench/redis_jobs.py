#!/usr/bin/python3
"""The worker pool on Redis Streams, side by side in one run (issue "Beyond one machine",
point 7): the same 1-second clips (assets/media/Megamind.avi cut by ffmpeg, 24 frames at
720x528) through the same BlazeFace face detector, run as

  local     one `sluice run` whose uri_source has every clip (realtime = false), results to
            jsonl_sink: no broker;
  redis x1  the clips as jobs on a real redis-server on 127.0.0.1, one worker
            (redis_source, max_jobs = 2, results to redis_sink, when_idle = "end");
  redis x2  the same with two workers at once.

Wall time from starting the runs until every one has ended, interleaved rounds, medians.
Reported: jobs per second of each, the broker's cost per job (redis x1 against local, as a
share of local's time; target: under 2%), the Redis commands a job takes and their time on
the server (INFO commandstats), and what a second worker adds on this machine.

    /usr/bin/python3 bench/redis_jobs.py [--rounds 3] [--copies 2]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUICE = f"{ROOT}/build/bin/sluice"
MODEL = f"{ROOT}/assets/models/blazeface_front128.pt"
JOBS_CLI = ["/usr/bin/python3", f"{ROOT}/scripts/sluice_jobs.py"]

DETECTOR = f"""
[nodes.rgb]
plugin = "color_convert"
to = "RGB"
[nodes.resize]
plugin = "resize"
size = [128, 128]
[nodes.tensor]
plugin = "to_tensor"
[nodes.detector]
plugin = "torchscript"
model = "{MODEL}"
input_shape = [1, 3, 128, 128]
[nodes.boxes]
plugin = "box_decoder"
keypoints = 6
min_score = 0.75
names = ["face"]
"""
CHAIN = "src -> rgb -> resize -> tensor -> detector -> boxes -> out.detections"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cut_clips(folder):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", f"{ROOT}/assets/media/Megamind.avi",
                    "-an", "-c:v", "mjpeg", "-q:v", "3", "-f", "segment", "-segment_time", "1",
                    "-reset_timestamps", "1", f"{folder}/clip%02d.avi"], check=True)
    clips = sorted(f"{folder}/{n}" for n in os.listdir(folder) if n.startswith("clip"))
    # Whole seconds only: the last piece may be short.
    return clips[:-1] if len(clips) > 1 else clips


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def local_pipeline(folder, uris):
    return write(f"{folder}/local.toml", f"""
[pipeline]
name = "local"
links = ["{CHAIN}"]
[nodes.src]
plugin = "uri_source"
uris = {json.dumps(uris)}
realtime = false
{DETECTOR}
[nodes.out]
plugin = "jsonl_sink"
path = "{folder}/local.jsonl"
""")


def worker_pipeline(folder, port, name):
    return write(f"{folder}/{name}.toml", f"""
[pipeline]
name = "{name}"
links = ["{CHAIN}"]
[nodes.src]
plugin = "redis_source"
port = {port}
consumer = "{name}"
max_jobs = 2
block_ms = 100
when_idle = "end"
{DETECTOR}
[nodes.out]
plugin = "redis_sink"
port = {port}
""")


def timed(commands):
    t0 = time.monotonic()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for c in commands]
    for p in procs:
        _, err = p.communicate(timeout=1800)
        if p.returncode != 0:
            sys.exit(f"redis_jobs: a run failed: {err[-2000:]}")
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--copies", type=int, default=2, help="jobs per clip")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sluice-bench-jobs-") as folder:
        port = free_port()
        server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            r = redis.Redis(port=port)
            for _ in range(200):
                try:
                    r.ping()
                    break
                except redis.RedisError:
                    time.sleep(0.05)
            clips = cut_clips(folder) * args.copies
            jobs = len(clips)
            local = local_pipeline(folder, clips)
            workers = [worker_pipeline(folder, port, f"w{i}") for i in range(2)]
            times = {"local": [], "redis x1": [], "redis x2": []}
            per_job = []  # redis x1: (Redis commands, server microseconds) per job
            for rnd in range(args.rounds):
                for name in times:
                    if name == "local":
                        times[name].append(timed([[SLUICE, "run", local]]))
                        continue
                    r.flushall()
                    r.config_resetstat()
                    subprocess.run(JOBS_CLI + ["--redis", f"127.0.0.1:{port}", "submit"] + clips,
                                   check=True, stdout=subprocess.DEVNULL)
                    n = 1 if name == "redis x1" else 2
                    times[name].append(timed([[SLUICE, "run", w] for w in workers[:n]]))
                    finals = sum(1 for _, f in r.xrange("sluice:results") if f[b"seq"] == b"final")
                    if finals != jobs:
                        sys.exit(f"redis_jobs: {name}: {finals} final records for {jobs} jobs")
                    if name == "redis x1":
                        stats = r.info("commandstats")
                        calls = sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")
                        usec = sum(v["usec"] for k, v in stats.items() if k != "cmdstat_info")
                        per_job.append((calls / jobs, usec / jobs))
                        r.config_resetstat()
                print(f"round {rnd + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
                      flush=True)
        finally:
            server.terminate()
            server.wait()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n{jobs} jobs of 1 s (24 frames, 720x528), BlazeFace, {args.rounds} rounds, medians")
    print("| run | wall s | jobs/s | spread s |")
    print("|---|---|---|---|")
    for k, v in times.items():
        print(f"| {k} | {med[k]:.2f} | {jobs / med[k]:.2f} | {min(v):.2f}-{max(v):.2f} |")
    cost = (med["redis x1"] - med["local"]) / med["local"]
    print(f"\nbroker cost per job (redis x1 against local): {100 * cost:+.1f}% "
          f"({1000 * (med['redis x1'] - med['local']) / jobs:+.1f} ms a job); target under 2%")
    calls = statistics.median(c for c, _ in per_job)
    usec = statistics.median(u for _, u in per_job)
    print(f"Redis per job (redis x1, with the submission): {calls:.1f} commands, "
          f"{usec / 1000:.2f} ms of the server's time")
    print(f"second worker: {med['redis x1'] / med['redis x2']:.2f}x the jobs per second of one")


if __name__ == "__main__":
    main()
