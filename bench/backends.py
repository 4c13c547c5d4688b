# The two model backends side by side on the same model and the same input (issue 6):
#   torchscript  LibTorch 1.13 running the TorchScript file
#   onnx         OpenCV 4.6 DNN running the ONNX file
# on Fashion-MNIST (fmnist_cnn.pt vs the fmnist_cnn.onnx exported from it) and BlazeFace
# (blazeface_front128.pt, converted, vs the original face_detection_front_128x128_barracuda.onnx).
#
# Two measurements, contenders interleaved per round, medians and spreads printed:
#   alone     the backend alone: forward passes on one ready input in a loop, each
#             contender in a fresh process (LibTorch's OpenMP threads and OpenCV's TBB
#             arena never share one), after warm-up passes; images per second. The
#             TorchScript model is optimized as the node does by default
#             (torch.jit.optimize_for_inference)
#   pipeline  sluice end to end, only the model node differing: pipelines/classify.toml
#             over Fashion-MNIST PNGs with --set nodes.model.plugin/model/max_batch, and
#             bench/pipelines/blazeface{,_onnx}.toml over a video; images (frames) per
#             second of the run (`run_s`, start-up apart)
#
#   /usr/bin/python3 bench/backends.py [--rounds 5] [--threads 1] [--sluice build/bin/sluice]
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = f"{ROOT}/assets/models"


# --- alone: one contender, in its own process -------------------------------------------------
def alone(backend, model, batch, threads, seconds):
    import numpy as np
    if model == "fmnist":
        x = (np.random.default_rng(0).random((batch, 1, 28, 28)) * 255).astype(np.float32)
    else:  # BlazeFace: NCHW pixels for the converted model, NHWC -1..1 for the original file
        x = (np.random.default_rng(0).random((batch, 3, 128, 128)) * 255).astype(np.float32)
    if backend == "torchscript":
        import torch
        torch.set_num_threads(threads)
        m = torch.jit.load(f"{MODELS}/{'fmnist_cnn.pt' if model == 'fmnist' else 'blazeface_front128.pt'}").eval()
        m = torch.jit.optimize_for_inference(m)  # as the torchscript node does (optimize = true)
        t = torch.from_numpy(x)

        def run():
            with torch.inference_mode():
                m(t)
    else:
        import cv2
        cv2.setNumThreads(threads)
        f = "fmnist_cnn.onnx" if model == "fmnist" else "face_detection_front_128x128_barracuda.onnx"
        net = cv2.dnn.readNetFromONNX(f"{MODELS}/{f}")
        net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        names = net.getUnconnectedOutLayersNames()
        blob = x if model == "fmnist" else np.ascontiguousarray(x.transpose(0, 2, 3, 1) / 127.5 - 1)

        def run():
            net.setInput(blob)
            net.forward(names)
    for _ in range(5):
        run()  # warm-up, as the nodes do at open
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()
        n += 1
    return n * batch / (time.perf_counter() - start)


def alone_in_process(backend, model, batch, threads, seconds):
    out = subprocess.run([sys.executable, __file__, "--alone", backend, model, str(batch), str(threads),
                          str(seconds)], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


# --- pipeline: sluice end to end --------------------------------------------------------------
def run_sluice(sluice, toml, sets, work, frames):
    subprocess.run([sluice, "run", "-q", toml, "--stats-json", f"{work}/stats.json"] +
                   [a for s in sets for a in ("--set", s)],
                   check=True, env=dict(os.environ, SLUICE_OUT=work), stdout=subprocess.DEVNULL)
    stats = json.load(open(f"{work}/stats.json"))
    return frames / stats["run_s"]


def summary(values):
    med = statistics.median(values)
    return {"median": med, "spread": (max(values) - min(values)) / med, "runs": values}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=1.5, help="per alone measurement")
    ap.add_argument("--images", type=int, default=2000, help="Fashion-MNIST pictures per pipeline run")
    ap.add_argument("--frames", type=int, default=100, help="video frames per BlazeFace pipeline run")
    ap.add_argument("--sluice", default=f"{ROOT}/build/bin/sluice")
    ap.add_argument("--alone", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.alone:
        backend, model, batch, threads, seconds = args.alone
        print(alone(backend, model, int(batch), int(threads), float(seconds)))
        return 0

    work = tempfile.mkdtemp(prefix="sluice-backends-")
    subprocess.run(["/usr/bin/python3", f"{ROOT}/tests/pipelines/fmnist_to_png.py", f"{ROOT}/assets/fashion-mnist",
                    f"{work}/fmnist", str(args.images)], check=True, stdout=subprocess.DEVNULL)
    clip = f"{work}/clip.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", f"{ROOT}/assets/media/vtest.avi", "-an", "-frames:v",
                    str(args.frames), "-c:v", "ffv1", clip], check=True)

    t = args.threads
    alone_cases = {f"{m} batch {b}": (m, b) for m, b in (("fmnist", 1), ("fmnist", 32), ("blazeface", 1))}
    pipeline_cases = {}
    for b in (1, 32):
        for backend, model in (("torchscript", "fmnist_cnn.pt"), ("onnx", "fmnist_cnn.onnx")):
            pipeline_cases[(f"classify max_batch {b}", backend)] = (
                f"{ROOT}/pipelines/classify.toml",
                [f"nodes.images.path={work}/fmnist/*.png", f"nodes.model.plugin={backend}",
                 f"nodes.model.model={MODELS}/{model}", f"nodes.model.max_batch={b}", f"nodes.model.threads={t}"],
                args.images)
    for backend, toml in (("torchscript", "blazeface.toml"), ("onnx", "blazeface_onnx.toml")):
        pipeline_cases[("blazeface video", backend)] = (
            f"{ROOT}/bench/pipelines/{toml}", [f"nodes.video.path={clip}", f"nodes.model.threads={t}"], args.frames)

    runs = {}
    for r in range(args.rounds):
        for name, (model, batch) in alone_cases.items():
            for backend in ("torchscript", "onnx"):
                runs.setdefault(("alone", name, backend), []).append(
                    alone_in_process(backend, model, batch, t, args.seconds))
        for (name, backend), (toml, sets, n) in pipeline_cases.items():
            runs.setdefault(("pipeline", name, backend), []).append(run_sluice(args.sluice, toml, sets, work, n))
        print(f"round {r + 1}: " + ", ".join(f"{k[1]} {k[2]} {v[-1]:.0f}" for k, v in runs.items()), flush=True)

    results = {}
    print(f"\nimages (frames) per second, median of {args.rounds} interleaved rounds (spread = (max - min) / median), "
          f"threads = {t}")
    print(f"{'':9} {'case':26} {'torchscript':>18} {'onnx':>18} {'onnx / torchscript':>19}")
    for kind, name in dict.fromkeys((k[0], k[1]) for k in runs):
        a, b = summary(runs[(kind, name, "torchscript")]), summary(runs[(kind, name, "onnx")])
        results[f"{kind}: {name}"] = {"torchscript": a, "onnx": b, "onnx_vs_torchscript": b["median"] / a["median"]}
        print(f"{kind:9} {name:26} {a['median']:11.0f} ({a['spread']:4.0%}) {b['median']:11.0f} ({b['spread']:4.0%}) "
              f"{b['median'] / a['median']:18.2f}x")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
