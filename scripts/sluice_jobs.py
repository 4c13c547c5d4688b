#!/usr/bin/python3
"""Jobs for a pool of sluice workers on Redis Streams (redis_source / redis_sink), without
typing Redis commands:

  sluice_jobs.py submit media/*.mp4 rtsp://cam7/stream1     # a job per file or uri
  sluice_jobs.py submit --inline photos/*.jpg                # images sent as bytes
  sluice_jobs.py status                                      # queued, in hand, done, dead
  sluice_jobs.py status --wait --timeout 600                 # ... until nothing is left
  sluice_jobs.py results --final                             # one line per finished job
  sluice_jobs.py results --job clip-3f2a9c1e                 # a job's frames, then its end
  sluice_jobs.py dead                                        # jobs that could not be done

Results are read at-least-once and printed once: a job done again (its worker died) writes
its records again, and `results` drops every (job, seq, sub_index) it has printed already.
Streams and group default to the plugins' defaults (sluice:jobs, sluice, sluice:results).
Needs python3-redis (Debian), which scripts/setup.sh installs.
"""
import argparse
import json
import os
import secrets
import sys
import time

try:
    import redis
except ImportError:
    sys.exit("sluice_jobs: python3-redis is missing: apt-get install python3-redis")


def connect(args):
    host, _, port = args.redis.rpartition(":")
    if not host or not port.isdigit():
        sys.exit(f"sluice_jobs: --redis {args.redis!r}: expected HOST:PORT")
    password = os.environ.get(args.password_env) if args.password_env else None
    if args.password_env and password is None:
        sys.exit(f"sluice_jobs: --password-env: the environment variable {args.password_env} is not set")
    r = redis.Redis(host=host, port=int(port), password=password, socket_timeout=10)
    try:
        r.ping()
    except redis.RedisError as e:
        sys.exit(f"sluice_jobs: cannot reach redis {host}:{port}: {e}")
    return r


def job_id_for(uri, args):
    if args.id_from_uri:
        return uri
    base = os.path.splitext(os.path.basename(uri.rstrip("/")))[0] or "job"
    return f"{args.prefix}{base}-{secrets.token_hex(4)}"


def submit(r, args):
    ids = []
    for item in args.items:
        is_url = "://" in item and not item.startswith("file://")
        if args.inline:
            if is_url:
                sys.exit(f"sluice_jobs: --inline takes image files, not {item!r}")
            try:
                with open(item, "rb") as f:
                    data = f.read()
            except OSError as e:
                sys.exit(f"sluice_jobs: cannot read {item!r}: {e.strerror}")
            job = {"id": job_id_for(item, args), "name": item}
            fields = {"job": json.dumps(job), "image": data}
        else:
            uri = item if is_url or item.startswith("/dev/") else os.path.abspath(item)
            if not is_url and not item.startswith("/dev/") and not os.path.exists(uri):
                sys.exit(f"sluice_jobs: no such file: {item!r} (a worker reads it by this path)")
            job = {"id": job_id_for(uri, args), "uri": uri}
            fields = {"job": json.dumps(job)}
        r.xadd(args.stream, fields)
        ids.append(job["id"])
        print(job["id"], item, flush=True)
    return ids


def group_info(r, stream, group):
    try:
        groups = r.xinfo_groups(stream)
    except redis.ResponseError:
        return None
    for g in groups:
        if g["name"].decode() == group:
            return g
    return None


def counts(r, args):
    info = group_info(r, args.stream, args.group)
    length = r.xlen(args.stream) if r.exists(args.stream) else 0
    pending = info["pending"] if info else 0
    # lag: entries no worker has read yet (Redis 7); without a group, every entry.
    lag = (info.get("lag") if info else length) or 0
    consumers = []
    if info:
        for c in r.xinfo_consumers(args.stream, args.group):
            consumers.append((c["name"].decode(), c["pending"], c["idle"]))
    dead = r.xlen(args.dead) if r.exists(args.dead) else 0
    return {"submitted": length, "queued": lag, "in_hand": pending, "dead": dead,
            "workers": consumers}


def status(r, args):
    deadline = time.monotonic() + args.timeout
    while True:
        c = counts(r, args)
        if not args.wait or (c["queued"] == 0 and c["in_hand"] == 0):
            break
        if time.monotonic() > deadline:
            print(json.dumps(c))
            sys.exit(f"sluice_jobs: still {c['queued']} queued and {c['in_hand']} in hand "
                     f"after {args.timeout} s")
        time.sleep(0.5)
    if args.json:
        print(json.dumps(c))
        return
    print(f"{c['submitted']} submitted, {c['queued']} queued, {c['in_hand']} in hand, "
          f"{c['dead']} dead")
    for name, pending, idle in c["workers"]:
        print(f"  worker {name}: {pending} in hand, last seen {idle / 1000:.1f} s ago")


def unique_records(r, stream, job=None, final_only=False):
    """Every record of the results stream once, in order: (job, seq, sub_index) seen before
    (a job done again) is dropped."""
    seen = set()
    last = "-"
    while True:
        # "(" + id: after that entry (Redis 6.2+).
        batch = r.xrange(stream, min=last if last == "-" else "(" + last, max="+", count=1000)
        if not batch:
            return
        for entry_id, fields in batch:
            last = entry_id.decode()
            f = {k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}
            record = json.loads(f["record"])
            key = (f.get("job", "stream:" + f.get("stream", "")), f["seq"], record.get("sub_index", -1))
            if key in seen:
                continue
            seen.add(key)
            if job is not None and f.get("job") != job:
                continue
            if final_only and f["seq"] != "final":
                continue
            yield record


def results(r, args):
    for record in unique_records(r, args.results, args.job, args.final):
        print(json.dumps(record), flush=True)


def dead(r, args):
    if not r.exists(args.dead):
        return
    for entry_id, fields in r.xrange(args.dead):
        f = {k.decode(): v.decode("utf-8", "replace") for k, v in fields.items()}
        print(json.dumps({"entry": f.get("entry"), "job": f.get("job"), "error": f.get("error"),
                          "worker": f.get("worker")}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--redis", default="127.0.0.1:6379", help="HOST:PORT (default %(default)s)")
    p.add_argument("--password-env", default="", help="environment variable holding the password")
    p.add_argument("--stream", default="sluice:jobs", help="the jobs stream (default %(default)s)")
    p.add_argument("--group", default="sluice", help="the workers' group (default %(default)s)")
    p.add_argument("--results", default="sluice:results", help="the results stream (default %(default)s)")
    p.add_argument("--dead", default=None, help="the dead-letter stream (default STREAM:dead)")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("submit", help="a job per file, uri or (--inline) image")
    s.add_argument("items", nargs="+")
    s.add_argument("--inline", action="store_true", help="send image files' bytes in the job")
    s.add_argument("--prefix", default="", help="put before each job id")
    s.add_argument("--id-from-uri", action="store_true", help="the job id is the uri itself")
    st = sub.add_parser("status", help="how many jobs are queued, in hand, dead; the workers")
    st.add_argument("--wait", action="store_true", help="until none is queued or in hand")
    st.add_argument("--timeout", type=float, default=3600)
    st.add_argument("--json", action="store_true")
    rs = sub.add_parser("results", help="the results, each record once (JSON lines)")
    rs.add_argument("--job", default=None, help="only this job's")
    rs.add_argument("--final", action="store_true", help="only each job's final record")
    sub.add_parser("dead", help="the jobs that went to the dead-letter stream, with their error")
    args = p.parse_args()
    args.dead = args.dead or args.stream + ":dead"
    r = connect(args)
    {"submit": submit, "status": status, "results": results, "dead": dead}[args.command](r, args)


if __name__ == "__main__":
    main()
