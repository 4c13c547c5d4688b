# The INT8 Fashion-MNIST models against the float one (issue 6): file size, the model alone
# (forward on a ready tensor, batch 1 and batch 32) and the classify pipeline end to end
# (PNG decode -> grey -> tensor -> model (max_batch 32) -> top-1 -> JSONL) over the first
# N test pictures, as a whole `sluice run` process (its run time: the threads' start to
# end, without start-up). One intra-op thread everywhere, as pipelines/classify.toml; the
# model alone is frozen and optimized as the node does by default (optimize = true);
# --no-optimize runs both as saved (the node with optimize = false).
# Contenders are interleaved per round; medians, spreads ((max - min) / median) and the
# ratios to the float model are printed.
#
#   /usr/bin/python3 bench/quantized.py [--sluice build/bin/sluice] [--rounds 5] [--pictures 2000] [--no-optimize]
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = f"{ROOT}/assets/models"
# name: (file, qengine: the engine it runs on, in Python and in the node)
CONTENDERS = {
    "float": ("fmnist_cnn.pt", "onednn"),
    "dynamic/qnnpack": ("fmnist_cnn_int8_dynamic.pt", "qnnpack"),
    "dynamic/onednn": ("fmnist_cnn_int8_dynamic.pt", "onednn"),
    "static/qnnpack": ("fmnist_cnn_int8_static_qnnpack.pt", "qnnpack"),
    "static/onednn": ("fmnist_cnn_int8_static_onednn.pt", "onednn"),
}


def alone_here(file, engine, batch, seconds, optimize):
    """Pictures per second of forward() on one ready [batch, 1, 28, 28] tensor."""
    torch.set_num_threads(1)
    torch.backends.quantized.engine = engine  # before loading: weights are packed at load
    m = torch.jit.load(f"{MODELS}/{file}").eval()
    if optimize:
        m = torch.jit.optimize_for_inference(m)  # as the node does at open (param optimize)
    x = torch.randint(0, 256, (batch, 1, 28, 28), generator=torch.Generator().manual_seed(0)).float()
    with torch.inference_mode():  # as the node runs
        for _ in range(5):
            m(x)  # warm-up, as the node does at open
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            m(x)
            n += 1
        return n * batch / (time.perf_counter() - start)


def alone(file, engine, batch, optimize, seconds=1.5):
    """alone_here in a fresh process, so that no contender inherits another's engine,
    packed weights or thread pools."""
    out = subprocess.run([sys.executable, __file__, "--alone", file, engine, str(batch), str(seconds),
                          str(int(optimize))],
                         check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def pipeline(sluice, file, engine, work, optimize):
    """Pictures per second of the classify pipeline's run (without process start-up)."""
    subprocess.run([sluice, "run", "-q", f"{ROOT}/pipelines/classify.toml",
                    "--set", f"nodes.model.model={MODELS}/{file}", "--set", f"nodes.model.qengine={engine}",
                    "--stats-json", f"{work}/stats.json"] + ([] if optimize else ["--set", "nodes.model.optimize=false"]),
                   check=True, env=dict(os.environ, SLUICE_OUT=work))
    stats = json.load(open(f"{work}/stats.json"))
    pictures = next(n["processed"] for n in stats["nodes"] if n["name"] == "model")
    return pictures / stats["run_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default=f"{ROOT}/build/bin/sluice")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pictures", type=int, default=2000)
    ap.add_argument("--no-optimize", dest="optimize", action="store_false")
    ap.add_argument("--alone", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.alone:
        file, engine, batch, seconds, optimize = args.alone
        print(alone_here(file, engine, int(batch), float(seconds), optimize == "1"))
        return 0
    work = tempfile.mkdtemp(prefix="sluice-quantized-")
    subprocess.run(["/usr/bin/python3", f"{ROOT}/tests/pipelines/fmnist_to_png.py", f"{ROOT}/assets/fashion-mnist",
                    f"{work}/fmnist", str(args.pictures)], check=True, stdout=subprocess.DEVNULL)
    runs = {name: {"alone_b1": [], "alone_b32": [], "pipeline": []} for name in CONTENDERS}
    for r in range(args.rounds):
        for name, (file, engine) in CONTENDERS.items():
            runs[name]["alone_b1"].append(alone(file, engine, 1, args.optimize))
            runs[name]["alone_b32"].append(alone(file, engine, 32, args.optimize))
            runs[name]["pipeline"].append(pipeline(args.sluice, file, engine, work, args.optimize))
        print(f"round {r + 1}: " + "; ".join(
            f"{n} {v['alone_b1'][-1]:.0f}/{v['alone_b32'][-1]:.0f}/{v['pipeline'][-1]:.0f}" for n, v in runs.items()),
            flush=True)
    results = {}
    for name, (file, engine) in CONTENDERS.items():
        med = {k: statistics.median(v) for k, v in runs[name].items()}
        results[name] = {"file": file, "engine": engine, "bytes": os.path.getsize(f"{MODELS}/{file}"),
                         "median_pictures_per_s": med,
                         "spread": {k: (max(v) - min(v)) / statistics.median(v) for k, v in runs[name].items()},
                         "runs": runs[name]}
    base = results["float"]
    print(f"{'model':16} {'bytes':>8} {'size':>5} | {'alone b1/s':>10} {'x':>5} | {'alone b32/s':>11} {'x':>5} | "
          f"{'pipeline/s':>10} {'x':>5}")
    for name, res in results.items():
        med, bmed = res["median_pictures_per_s"], base["median_pictures_per_s"]
        sp = res["spread"]
        print(f"{name:16} {res['bytes']:8d} {res['bytes'] / base['bytes']:5.2f} | "
              f"{med['alone_b1']:10.0f} {med['alone_b1'] / bmed['alone_b1']:5.2f} | "
              f"{med['alone_b32']:11.0f} {med['alone_b32'] / bmed['alone_b32']:5.2f} | "
              f"{med['pipeline']:10.0f} {med['pipeline'] / bmed['pipeline']:5.2f}   "
              f"(spreads {sp['alone_b1']:.0%} {sp['alone_b32']:.0%} {sp['pipeline']:.0%})")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(main())
