#!/usr/bin/python3
"""Three `sluice run` workers share 200 jobs (short clips, image files and inline images)
through one real redis-server (appendonly) on 127.0.0.1, submitted with
scripts/sluice_jobs.py. Mid-run one worker is killed with SIGKILL while it holds jobs, and
later the Redis server itself is restarted. Afterwards:

  - every job has exactly one final record once records are deduplicated by job id, none
    is missing, each says "done", and each job's frame records cover all its frames;
  - the killed worker's jobs were claimed and finished by the other workers (deliveries > 1);
  - nothing is pending, nothing went to the dead-letter stream, and both survivors
    reconnected to Redis and then ended by themselves (when_idle = "end"), exit code 0.

    redis_worker_pool_test.py --sluice build/bin/sluice --jobs-script scripts/sluice_jobs.py
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import redis

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
        print(f"FAIL: {what}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, limit_s, what):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    raise SystemExit(f"FAIL: timed out after {limit_s} s waiting for {what}")


class RedisServer:
    def __init__(self, folder, port):
        self.folder, self.port, self.proc = folder, port, None

    def start(self):
        log = open(os.path.join(self.folder, "redis.log"), "a")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", self.folder],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        client = redis.Redis(port=self.port, socket_timeout=2)

        def up():
            try:
                return client.ping()
            except redis.RedisError:
                return False
        wait_until(up, 20, "redis-server to start")

    def stop(self):
        self.proc.terminate()  # SIGTERM: appendonly data flushed
        self.proc.wait(timeout=20)


def make_media(folder):
    clips, images = [], []
    for i in range(8):
        path = os.path.join(folder, f"clip{i}.avi")
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc=size=64x48:rate=10", "-frames:v", str(4 + i % 4), "-c:v",
                        "mjpeg", path], check=True)
        clips.append((path, 4 + i % 4))
    for i in range(4):
        path = os.path.join(folder, f"image{i}.jpg")
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc=size=32x24", "-frames:v", "1", path], check=True)
        images.append(path)
    return clips, images


def pipeline(folder, port, worker):
    path = os.path.join(folder, f"{worker}.toml")
    with open(path, "w") as f:
        f.write(f"""
[pipeline]
name = "pool"
links = ["jobs -> slow -> results.frame"]

[nodes.jobs]
plugin = "redis_source"
port = {port}
consumer = "{worker}"
max_jobs = 2
block_ms = 200
claim_idle_ms = 1500
when_idle = "end"
reconnect_initial_ms = 50
reconnect_max_ms = 500

[nodes.slow]
plugin = "delay"
ms = 15

[nodes.results]
plugin = "redis_sink"
port = {port}
reconnect_initial_ms = 50
reconnect_max_ms = 500
""")
    return path


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sluice", required=True)
    p.add_argument("--jobs-script", required=True)
    p.add_argument("--jobs", type=int, default=200)
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="sluice-pool-") as folder:
        port = free_port()
        server = RedisServer(folder, port)
        server.start()
        r = redis.Redis(port=port, socket_timeout=5)
        clips, images = make_media(folder)

        # The jobs, through the user's command: uris of clips and images, and inline images.
        frames_of = {}
        jobs_cli = ["/usr/bin/python3", args.jobs_script, "--redis", f"127.0.0.1:{port}"]
        uri_items, inline_items = [], []
        for i in range(args.jobs):
            if i % 10 == 9:
                inline_items.append(images[i % len(images)])
            elif i % 5 == 4:
                uri_items.append((images[i % len(images)], 1))
            else:
                uri_items.append(clips[i % len(clips)])
        out = subprocess.run(jobs_cli + ["submit", "--prefix", "u-"] + [u for u, _ in uri_items],
                             check=True, capture_output=True, text=True).stdout.split("\n")
        for line, (_, n) in zip(out, uri_items):
            frames_of[line.split()[0]] = n
        out = subprocess.run(jobs_cli + ["submit", "--inline", "--prefix", "i-"] + inline_items,
                             check=True, capture_output=True, text=True).stdout.split("\n")
        for line in out[:len(inline_items)]:
            frames_of[line.split()[0]] = 1
        check(len(frames_of) == args.jobs, f"{len(frames_of)} distinct job ids for {args.jobs} jobs")

        def finals():
            try:
                return sum(1 for _, f in r.xrange("sluice:results") if f[b"seq"] == b"final")
            except redis.RedisError:
                return 0

        workers = {}
        for name in ("w0", "w1", "w2"):
            log = open(os.path.join(folder, f"{name}.log"), "w")
            workers[name] = (subprocess.Popen([args.sluice, "run", pipeline(folder, port, name)],
                                              stdin=subprocess.DEVNULL, stdout=log, stderr=log), log)

        # Kill w1 while it holds jobs.
        wait_until(lambda: finals() >= 30, 120, "30 jobs done")

        def w1_holds():
            for c in r.xinfo_consumers("sluice:jobs", "sluice"):
                if c["name"] == b"w1" and c["pending"] > 0:
                    return True
            return False
        wait_until(w1_holds, 30, "w1 to hold a job")
        held = [e["message_id"].decode() for e in
                r.xpending_range("sluice:jobs", "sluice", "-", "+", 100, consumername="w1")]
        workers["w1"][0].send_signal(signal.SIGKILL)
        workers["w1"][0].wait()
        held_jobs = set()
        for entry_id, fields in r.xrange("sluice:jobs"):
            if entry_id.decode() in held:
                held_jobs.add(json.loads(fields[b"job"])["id"])
        print(f"killed w1 holding {len(held_jobs)} jobs: {sorted(held_jobs)}", flush=True)
        check(len(held_jobs) > 0, "w1 held jobs when it was killed")

        # Restart Redis mid-run.
        wait_until(lambda: finals() >= 90, 120, "90 jobs done")
        server.stop()
        time.sleep(1.0)
        server.start()
        r = redis.Redis(port=port, socket_timeout=5)

        for name in ("w0", "w2"):
            proc, log = workers[name]
            try:
                code = proc.wait(timeout=180)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "timeout"
            log.close()
            output = open(os.path.join(folder, f"{name}.log")).read()
            check(code == 0, f"{name} exit code {code}: {output[-2000:]}")
            check("redis_reconnects" in output, f"{name} says it reconnected to Redis: {output[-800:]}")

        # Deduplicate as a reader does: by job for finals, by (job, seq) for frames.
        final_by_job, frame_seqs = {}, {}
        duplicates = 0
        for _, f in r.xrange("sluice:results"):
            job, seq = f[b"job"].decode(), f[b"seq"].decode()
            record = json.loads(f[b"record"])
            if seq == "final":
                if job in final_by_job:
                    duplicates += 1
                final_by_job.setdefault(job, record)
            else:
                frame_seqs.setdefault(job, set()).add(int(seq))
        print(f"{len(final_by_job)} jobs with a final record ({duplicates} written twice)", flush=True)
        check(set(final_by_job) == set(frames_of),
              f"missing finals: {sorted(set(frames_of) - set(final_by_job))[:10]}, "
              f"unknown: {sorted(set(final_by_job) - set(frames_of))[:10]}")
        for job, n in frames_of.items():
            record = final_by_job.get(job)
            if record is None:
                continue
            check(record["status"] == "done", f"job {job}: {record}")
            check(frame_seqs.get(job) == set(range(n)),
                  f"job {job}: frame records {sorted(frame_seqs.get(job, []))}, expected 0..{n - 1}")
        for job in held_jobs:
            record = final_by_job.get(job, {})
            check(record.get("worker") in ("w0", "w2") and record.get("deliveries", 0) >= 2,
                  f"killed worker's job {job} finished by another, redelivered: {record}")
        check(r.xpending("sluice:jobs", "sluice")["pending"] == 0, "nothing is pending")
        check(not r.exists("sluice:jobs:dead"), "nothing went to the dead-letter stream")
        status = subprocess.run(jobs_cli + ["status", "--json"], capture_output=True, text=True)
        check(json.loads(status.stdout)["queued"] == 0, f"sluice_jobs status: {status.stdout}")
        finals_cli = subprocess.run(jobs_cli + ["results", "--final"], capture_output=True,
                                    text=True).stdout.strip().split("\n")
        check(len(finals_cli) == args.jobs, f"sluice_jobs results --final: {len(finals_cli)} lines")
        server.stop()

    if FAILURES:
        print(f"{len(FAILURES)} checks failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
