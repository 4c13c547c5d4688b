# Start-up, side by side in one run (issue: throughput, point 5):
#   first result  from launching `sluice run bench/pipelines/MODEL.toml` to the first line
#                 in its JSONL output (the sink flushes each line), against the Python loop
#                 of bench/models_e2e.py from launching /usr/bin/python3 to its first result
#                 (import torch and cv2, load the model, decode, forward)
#   plugins       `sluice validate pipelines/demo.toml` (no model: the scan reads every
#                 library's build-time manifest and loads only the 1 library it uses),
#                 `sluice validate` of the CenterNet pipeline (loads the 7 libraries it
#                 uses, LibTorch among them: their contracts check the params),
#                 `sluice inspect torchscript` (LibTorch alone) and `sluice plugins`
#                 (describes every node type, so it loads every library)
# Interleaved rounds, medians and spreads.
#
#   /usr/bin/python3 bench/startup.py [--rounds 5] [--models centernet,blazeface]
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLUICE = f"{ROOT}/build/bin/sluice"
PYTHON_FIRST = """
import sys, time, cv2, numpy as np, torch
m = torch.jit.load(sys.argv[1]).eval(); s = int(sys.argv[2])
ok, bgr = cv2.VideoCapture(sys.argv[3]).read()
x = torch.from_numpy(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (s, s)).astype(np.float32).transpose(2, 0, 1)[None].copy())
with torch.no_grad():
    y = m(x)
print("first", flush=True)
"""
FILES = {"centernet": ("centernet_mbv3_coco512.pt", 512), "blazeface": ("blazeface_front128.pt", 128),
         "selfie": ("selfie_seg256.pt", 256)}


def first_line_s(cmd, out_file=None, env=None):
    # Seconds from launch to the first output line (a file the process writes, or stdout).
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
    if out_file is None:
        p.stdout.readline()
        t = time.perf_counter() - start
    else:
        while not (os.path.exists(out_file) and os.path.getsize(out_file) > 0):
            if p.poll() is not None:
                sys.exit(f"{cmd} ended without output")
            time.sleep(0.002)
        t = time.perf_counter() - start
    p.kill()
    p.wait()
    return t


def run_s(cmd, env=None):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def summary(values):
    med = statistics.median(values)
    return med, (max(values) - min(values)) / med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--models", default="centernet,blazeface")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-startup-")
    video = f"{ROOT}/assets/media/vtest.avi"
    got = {}
    for r in range(args.rounds):
        for model in args.models.split(","):
            out = f"{work}/{model}.jsonl"
            if os.path.exists(out):
                os.remove(out)
            env = dict(os.environ, SLUICE_OUT=work)
            got.setdefault(f"sluice run {model}: first result", []).append(
                first_line_s([SLUICE, "run", "-q", f"{ROOT}/bench/pipelines/{model}.toml"], out, env))
            f, s = FILES[model]
            got.setdefault(f"python {model}: first result", []).append(
                first_line_s(["/usr/bin/python3", "-c", PYTHON_FIRST, f"{ROOT}/assets/models/{f}", str(s), video]))
        got.setdefault("sluice validate demo.toml (scan; loads 1 library)", []).append(
            run_s([SLUICE, "validate", f"{ROOT}/pipelines/demo.toml"]))
        got.setdefault("sluice plugins (loads every library)", []).append(run_s([SLUICE, "plugins"]))
        got.setdefault("sluice validate centernet (loads its 7 libraries)", []).append(
            run_s([SLUICE, "validate", f"{ROOT}/bench/pipelines/centernet.toml"], dict(os.environ, SLUICE_OUT=work)))
        got.setdefault("sluice inspect torchscript (loads LibTorch)", []).append(
            run_s([SLUICE, "inspect", "torchscript"]))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in got.items()), flush=True)
    print("| what | median s | spread |\n|---|---|---|")
    for k, v in got.items():
        med, spread = summary(v)
        print(f"| {k} | {med:.3f} | {spread:.0%} |")


if __name__ == "__main__":
    sys.exit(main())
