# End-to-end frames per second on a video, side by side in one run (issue: throughput):
#   sluice     the pipeline bench/pipelines/MODEL.toml (decode -> preprocess -> model ->
#              decode -> JSONL), as a whole process
#   python_opt the peer of the headline: the plain loop a careful user writes from the
#              PyTorch docs, cv2 decode -> RGB -> resize -> tensor -> forward under no_grad
#              -> postprocess, on the model as sluice runs it (optimize_for_inference),
#              warmed up before the timed span as sluice's node is at open; as many
#              threads as sluice's instances have in all (/usr/bin/python3). Timed from
#              the first decode to the last result, the span sluice's run_s covers.
#   python     the same loop on the model as saved, also warmed up: shows how much of the
#              gain is the optimization's and how much the pipeline's
#   alone      the model alone as sluice runs it (optimized), forward on one ready tensor
#              in a loop, one process per sluice instance, same threads each: the limit
#   decode     cv2 decoding and preprocessing the clip, nothing else
#   cpu bound  cores / (decode+preprocessing CPU time + the model's CPU time) per frame:
#              what 2 cores allow when every frame must be decoded AND run through the
#              model; below `alone` whenever decoding costs CPU the model alone never pays
# Contenders are interleaved per round; the medians and their ratios are printed.
#
#   /usr/bin/python3 bench/models_e2e.py [--frames 120] [--rounds 3] [--models centernet,blazeface,selfie]
#                                        [--split 2x1]   # model replicas x threads per replica
#   /usr/bin/python3 bench/models_e2e.py --study       # which split of the cores is fastest
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = {"centernet": 512, "blazeface": 128, "selfie": 256}
FILES = {"centernet": "centernet_mbv3_coco512.pt", "blazeface": "blazeface_front128.pt", "selfie": "selfie_seg256.pt"}


def make_clip(frames, out):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", f"{ROOT}/assets/media/vtest.avi", "-an", "-frames:v",
                    str(frames), "-c:v", "ffv1", out], check=True)


# The run time of the pipeline (its threads' start to end: decode to last result), like
# the Python loop's timing, which starts after the model is loaded. Start-up (process,
# plugin loading, model loading, warm-up) is reported apart.
def run_sluice(model, clip, work, replicas, threads):
    env = dict(os.environ, SLUICE_OUT=work)
    start = time.perf_counter()
    subprocess.run([f"{ROOT}/build/bin/sluice", "run", "-q", f"{ROOT}/bench/pipelines/{model}.toml",
                    "--set", f"nodes.video.path={clip}", "--set", f"nodes.model.replicas={replicas}",
                    "--set", f"nodes.model.threads={threads}", "--stats-json", f"{work}/stats.json"],
                   check=True, env=env)
    process = time.perf_counter() - start
    stats = json.load(open(f"{work}/stats.json"))
    return stats["run_s"], process - stats["run_s"]


def postprocess(model, y, w, h):
    s = SIZES[model]
    if model == "selfie":
        return int((y[0, 0] >= 0.5).sum())
    rows = y[0].numpy()
    keep = rows[rows[:, 4] >= (0.3 if model == "centernet" else 0.75)]
    return [(r[0] * w / s, r[1] * h / s, r[2] * w / s, r[3] * h / s, r[4]) for r in keep]


def to_tensor(bgr, size):
    """The loop's preprocessing, as the PyTorch docs write it: RGB, resize, NCHW float."""
    rgb = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (size, size))
    return torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None].copy())


def load(model, optimized):
    m = torch.jit.load(f"{ROOT}/assets/models/{FILES[model]}").eval()
    return torch.jit.optimize_for_inference(m) if optimized else m


def run_python(model, clip, threads, optimized=False):
    torch.set_num_threads(threads)
    m = load(model, optimized)
    s = SIZES[model]
    with torch.no_grad():
        for _ in range(3):
            m(torch.zeros(1, 3, s, s))  # warm-up, outside the timed span (sluice: at open)
    start = time.perf_counter()
    cap = cv2.VideoCapture(clip)
    n = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        x = to_tensor(bgr, s)
        with torch.no_grad():
            y = m(x)
        postprocess(model, y, w, h)
        n += 1
    return time.perf_counter() - start, n


# cv2 decoding the clip plus the pipeline's preprocessing (RGB, resize, float tensor),
# nothing else: frames/s, and CPU-ms per frame over all of the process's threads.
def run_decode(model, clip):
    s = SIZES[model]
    start, cpu = time.perf_counter(), time.process_time()
    cap = cv2.VideoCapture(clip)
    n = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        to_tensor(bgr, s)
        n += 1
    return n / (time.perf_counter() - start), (time.process_time() - cpu) * 1000 / n


# One process of the model alone: loads and warms up, waits for the common start time,
# then times `frames` forward passes.
def alone_worker(model, threads, frames, start_at):
    torch.set_num_threads(threads)
    m = load(model, True)
    s = SIZES[model]
    x = torch.rand(1, 3, s, s) * 255
    with torch.no_grad():
        for _ in range(3):
            m(x)  # warm-up, as the sluice node does at open
        while time.time() < start_at:
            time.sleep(0.001)
        start = time.perf_counter()
        for _ in range(frames):
            m(x)
    print(time.perf_counter() - start)


# The model alone as `replicas` processes of `threads` threads, all at once: frames/s in all.
def run_alone(model, frames, replicas, threads):
    per = max(1, frames // replicas)
    start_at = time.time() + 4.0  # after every process has loaded the model
    procs = [subprocess.Popen([sys.executable, __file__, "--alone-worker", model, str(threads), str(per),
                               str(start_at)], stdout=subprocess.PIPE, text=True) for _ in range(replicas)]
    times = [float(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return per * replicas / max(times)


def ratio_table(results):
    lines = ["| model | split | sluice | python_opt | python | alone | decode | cpu bound | **sluice/python_opt** | "
             "sluice/python | sluice/alone | sluice/cpu bound |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, r in results.items():
        m, sp = r["median_fps"], r["spread"]
        cell = lambda k: f"{m[k]:.2f} ({sp[k]:.0%})"
        lines.append(f"| {model} | {r['split']} | {cell('sluice')} | {cell('python_opt')} | {cell('python')} | "
                     f"{cell('alone')} | {cell('decode')} | {cell('cpu_bound')} | **{r['sluice_vs_python_opt']:.2f}x** | "
                     f"{r['sluice_vs_python']:.2f}x | {r['sluice_vs_alone']:.2f}x | {r['sluice_vs_cpu_bound']:.2f}x |")
    return "\n".join(lines)


def study(args, clip, work):
    # Every split of the 2 cores, sluice against the model alone in the same split. The
    # splits are interleaved within each round; medians of the rounds, with their spread.
    splits = ("1x1", "1x2", "2x1")
    rows = []
    for model in args.models.split(","):
        got = {(sp, k): [] for sp in splits for k in ("sluice", "alone")}
        for r in range(args.rounds):
            for split in splits:
                replicas, threads = map(int, split.split("x"))
                t, _ = run_sluice(model, clip, work, replicas, threads)
                got[(split, "sluice")].append(args.frames / t)
                got[(split, "alone")].append(run_alone(model, args.frames, replicas, threads))
                print(f"{model} round {r + 1} {split}: sluice {got[(split, 'sluice')][-1]:.2f} fps, "
                      f"alone {got[(split, 'alone')][-1]:.2f} fps", flush=True)
        med = {key: statistics.median(v) for key, v in got.items()}
        best = max(splits, key=lambda sp: med[(sp, "sluice")])
        for split in splits:
            v = got[(split, "sluice")]
            spread = (max(v) - min(v)) / med[(split, "sluice")]
            rows.append(f"| {model} | {split}{' (fastest)' if split == best else ''} | {med[(split, 'sluice')]:.2f} "
                        f"({spread:.0%}) | {med[(split, 'alone')]:.2f} | {med[(split, 'sluice')] / med[(split, 'alone')]:.2f}x |")
    print(f"\n{args.rounds} rounds, medians (spread of sluice's rounds)")
    print("| model | replicas x threads | sluice fps | alone fps | sluice/alone |\n|---|---|---|---|---|")
    print("\n".join(rows))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--alone-worker":
        alone_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", default="centernet,blazeface,selfie")
    ap.add_argument("--split", default="2x1", help="model replicas x threads per replica")
    ap.add_argument("--study", action="store_true", help="sluice vs alone for every split of 2 cores")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-e2e-")
    clip = f"{work}/clip.mkv"
    make_clip(args.frames, clip)
    if args.study:
        return study(args, clip, work)
    replicas, threads = map(int, args.split.split("x"))
    results = {}
    for model in args.models.split(","):
        fps = {"sluice": [], "python": [], "python_opt": [], "alone": [], "decode": [], "cpu_bound": []}
        startup = []
        for r in range(args.rounds):
            t, overhead = run_sluice(model, clip, work, replicas, threads)
            fps["sluice"].append(args.frames / t)
            startup.append(overhead)
            for key, optimized in (("python", False), ("python_opt", True)):
                t, n = run_python(model, clip, replicas * threads, optimized)
                assert n == args.frames, (n, args.frames)
                fps[key].append(n / t)
            fps["alone"].append(run_alone(model, args.frames, replicas, threads))
            decode_fps, decode_cpu_ms = run_decode(model, clip)
            fps["decode"].append(decode_fps)
            # What the cores allow when every frame costs the decode+preprocessing CPU time
            # plus the model's (its instances keep replicas x threads cores busy).
            model_cpu_ms = 1000 * replicas * threads / fps["alone"][-1]
            fps["cpu_bound"].append(1000 * os.cpu_count() / (decode_cpu_ms + model_cpu_ms))
            print(f"{model} round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} fps" for k, v in fps.items()), flush=True)
        med = {k: statistics.median(v) for k, v in fps.items()}
        spread = {k: (max(v) - min(v)) / statistics.median(v) for k, v in fps.items()}
        results[model] = {"split": args.split, "median_fps": med, "spread": spread, "runs": fps,
                          "sluice_startup_s": statistics.median(startup),
                          "sluice_vs_python_opt": med["sluice"] / med["python_opt"],
                          "sluice_vs_python": med["sluice"] / med["python"],
                          "sluice_vs_alone": med["sluice"] / med["alone"],
                          "sluice_vs_cpu_bound": med["sluice"] / med["cpu_bound"]}
    print(ratio_table(results))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(main())
