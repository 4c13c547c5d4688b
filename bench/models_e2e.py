# End-to-end frames per second on a video, side by side in one run (issue: throughput):
#   sluice     the pipeline bench/pipelines/MODEL.toml (decode -> preprocess -> model ->
#              decode -> JSONL), as a whole process
#   python     the plain loop a user writes from the PyTorch docs: cv2 decode -> RGB ->
#              resize -> tensor -> forward under no_grad -> postprocess; same model, same
#              threads (/usr/bin/python3)
#   alone      the model alone: forward on one ready tensor in a loop (the limit)
# Contenders are interleaved per round; the medians and their ratios are printed.
#
#   /usr/bin/python3 bench/models_e2e.py [--frames 120] [--rounds 3] [--models centernet,blazeface,selfie]
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
THREADS = 2


def make_clip(frames, out):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", f"{ROOT}/assets/media/vtest.avi", "-an", "-frames:v",
                    str(frames), "-c:v", "ffv1", out], check=True)


# The run time of the pipeline (its threads' start to end: decode to last result), like
# the Python loop's timing, which starts after the model is loaded. Start-up (process,
# plugin loading, model loading, warm-up) is reported apart.
def run_sluice(model, clip, work):
    env = dict(os.environ, SLUICE_OUT=work)
    start = time.perf_counter()
    subprocess.run([f"{ROOT}/build/bin/sluice", "run", "-q", f"{ROOT}/bench/pipelines/{model}.toml",
                    "--set", f"nodes.video.path={clip}", "--stats-json", f"{work}/stats.json"],
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


def run_python(model, clip):
    torch.set_num_threads(THREADS)
    m = torch.jit.load(f"{ROOT}/assets/models/{FILES[model]}").eval()
    s = SIZES[model]
    start = time.perf_counter()
    cap = cv2.VideoCapture(clip)
    n = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        rgb = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (s, s))
        x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None].copy())
        with torch.no_grad():
            y = m(x)
        postprocess(model, y, w, h)
        n += 1
    return time.perf_counter() - start, n


def run_alone(model, frames):
    torch.set_num_threads(THREADS)
    m = torch.jit.load(f"{ROOT}/assets/models/{FILES[model]}").eval()
    s = SIZES[model]
    x = torch.rand(1, 3, s, s) * 255
    with torch.no_grad():
        for _ in range(3):
            m(x)  # warm-up, as the sluice node does at open
        start = time.perf_counter()
        for _ in range(frames):
            m(x)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", default="centernet,blazeface,selfie")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-e2e-")
    clip = f"{work}/clip.mkv"
    make_clip(args.frames, clip)
    results = {}
    for model in args.models.split(","):
        fps = {"sluice": [], "python": [], "alone": []}
        startup = []
        for r in range(args.rounds):
            t, overhead = run_sluice(model, clip, work)
            fps["sluice"].append(args.frames / t)
            startup.append(overhead)
            t, n = run_python(model, clip)
            assert n == args.frames, (n, args.frames)
            fps["python"].append(n / t)
            fps["alone"].append(args.frames / run_alone(model, args.frames))
            print(f"{model} round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} fps" for k, v in fps.items()), flush=True)
        med = {k: statistics.median(v) for k, v in fps.items()}
        spread = {k: (max(v) - min(v)) / statistics.median(v) for k, v in fps.items()}
        results[model] = {"median_fps": med, "spread": spread, "runs": fps,
                          "sluice_startup_s": statistics.median(startup),
                          "sluice_vs_python": med["sluice"] / med["python"],
                          "sluice_vs_alone": med["sluice"] / med["alone"]}
        print(f"{model}: median sluice {med['sluice']:.2f}, python {med['python']:.2f}, alone {med['alone']:.2f} fps; "
              f"sluice/python {results[model]['sluice_vs_python']:.2f}x, sluice/alone {results[model]['sluice_vs_alone']:.2f}x",
              flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(main())
