"""Exports the project's own TorchScript models to ONNX with torch.onnx.export, where the
converter allows, with a dynamic batch axis, for the `onnx` plugin (OpenCV DNN).

    /usr/bin/python3 export_onnx.py MODELS_DIR [--models fmnist_cnn,...] [--src UNPACKED]
                                    [--out DIR] [--report OUT.json]

Each export takes and gives what its TorchScript model does (scripts/models/README.md):
NCHW pixels 0..255, any batch, the normalisation inside. Every file written has passed
  1. onnx.checker (full check, with shape inference),
  2. OpenCV DNN (cv2.dnn, the library the `onnx` plugin runs) loading it and giving the
     TorchScript model's outputs at batches 1 and 3 (max |difference| / max(1, max |x|)
     at most 1e-4), and a batch of 3 giving what 3 single runs give.
A model whose export or check fails is reported, and nothing is written for it; the run
fails only when a model asked for with --models fails (default: fmnist_cnn, the one the
tests need). --models all tries every model of MODELS_DIR.

How each model is exported:
  fmnist_cnn   the nn.Module of train_fmnist.py (FashionCnn), with the weights of the
               TorchScript file: torch.onnx.export needs Python code to trace, and a
               scripted module's shape check (raise) has no ONNX form.
  the others   rebuilt in Python from their npm sources by convert_models.py's classes
               (--src: the unpacked tarballs, as convert_models.py takes them), with the
               wrapper's normalisation, and checked against the .pt. The .pt files
               themselves cannot be exported: their small convolutions run sample by
               sample in a scripted loop (tsconv.conv2d, for batch invariance), which
               torch.onnx cannot export and OpenCV DNN could not run (ONNX Loop); the
               rebuilt modules use plain convolutions (tsconv.SMALL_OUTPUT = 0).
"""
import argparse
import io
import json
import os
import sys
import time
import warnings

import cv2
import numpy as np
import onnx
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_models  # noqa: E402  (the converted models' architectures)
import train_fmnist  # noqa: E402  (the FashionCnn architecture)
import tsconv  # noqa: E402  (write_atomic, max_rel_diff)

OPSET = 11  # what OpenCV 4.6's ONNX importer reads best (newer opsets move args to inputs)
TOL = 1e-4

# name -> input [C, H, W]
MODELS = {
    "fmnist_cnn": [1, 28, 28],
    "emotion_fer7_64gray": [1, 64, 64],
    "blazeface_front128": [3, 128, 128],
    "blazeface_back256": [3, 256, 256],
    "selfie_seg256": [3, 256, 256],
    "centernet_mbv3_coco512": [3, 512, 512],
}


class Normalised(nn.Module):
    """The scripted wrapper's arithmetic (tsconv.Model) around an eager network."""

    def __init__(self, core, scripted):
        super().__init__()
        self.core = core
        self.scale = float(scripted.scale)
        self.shift = float(scripted.shift)

    def forward(self, x):
        x = x.float()
        if self.scale != 1.0 or self.shift != 0.0:
            x = x * self.scale + self.shift
        return self.core(x)


def eager_module(name, scripted, src):
    if name == "fmnist_cnn":
        model = train_fmnist.FashionCnn()
        model.load_state_dict(scripted.state_dict())
        return model.eval()
    if not src:
        raise ValueError("needs --src (the unpacked npm tarballs) to rebuild the network")
    tsconv.SMALL_OUTPUT = 0  # plain convolutions: no per-sample loop
    human = os.path.join(src, convert_models.HUMAN_PKG, "models")
    if name.startswith("blazeface"):
        size = MODELS[name][1]
        kind = "front" if size == 128 else "back"
        onnx_file = os.path.join(src, convert_models.BLAZEFACE_PKG, "ONNX",
                                 f"face_detection_{kind}_{size}x{size}_barracuda.onnx")
        core = convert_models.BlazeFace(onnx_file, size)
    elif name == "emotion_fer7_64gray":
        import tfjs_graph
        core = convert_models.First(tfjs_graph.TfjsGraph(os.path.join(human, "emotion.json"), ["Identity"]))
    elif name == "selfie_seg256":
        import tflite_graph
        core = convert_models.First(tflite_graph.TfliteGraph(
            os.path.join(src, convert_models.SELFIE_PKG, "selfie_segmentation.tflite")))
    else:
        core = convert_models.CenterNet(os.path.join(human, "centernet.json"))
    return Normalised(core.eval(), scripted).eval()


def example(chw, n=3, seed=0):
    """Smooth random pictures, 0..255 (as convert_models.py checks with)."""
    g = torch.Generator().manual_seed(seed)
    c, h, w = chw
    low = torch.rand(n, c, max(1, h // 8), max(1, w // 8), generator=g)
    img = nn.functional.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
    return (img * 255).clamp(0, 255).round()


def flat(out):
    return [o.numpy() for o in (list(out) if isinstance(out, (tuple, list)) else [out])]


def rel_diff(a, b):
    return tsconv.max_rel_diff([torch.from_numpy(np.asarray(x)) for x in a],
                               [torch.from_numpy(np.asarray(x)) for x in b])


def opencv_run(data, x, output_names):
    net = cv2.dnn.readNetFromONNX(np.frombuffer(data, np.uint8))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    net.setInput(x.numpy())
    return list(net.forward(output_names))


def export_one(name, folder, out_dir, src):
    pt = os.path.join(folder, name + ".pt")
    scripted = torch.jit.load(pt).eval()
    module = eager_module(name, scripted, src)
    x = example(MODELS[name])
    with torch.no_grad():
        expected = flat(scripted(x))
        n_out = len(expected)
        output_names = ["out"] if n_out == 1 else [f"out{i}" for i in range(n_out)]
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings on the shape checks
            torch.onnx.export(module, x[:2], buf, opset_version=OPSET, input_names=["input"],
                              output_names=output_names, do_constant_folding=True,
                              dynamic_axes={k: {0: "batch"} for k in ["input"] + output_names})
    data = buf.getvalue()
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto, full_check=True)
    checks = {}
    for n in (1, 3):
        got = opencv_run(data, x[:n], output_names)
        d = rel_diff(got, [e[:n] for e in expected])
        checks[f"opencv_vs_torchscript_batch{n}"] = d
        if not d <= TOL:
            raise RuntimeError(f"OpenCV DNN at batch {n} differs from TorchScript by {d:.3g} (> {TOL})")
    batch = opencv_run(data, x[:3], output_names)
    singles = [opencv_run(data, x[i:i + 1], output_names) for i in range(3)]
    joined = [np.concatenate(parts) for parts in zip(*singles)]
    d = rel_diff(joined, batch)
    checks["opencv_batch3_vs_singles"] = d
    if not d <= TOL:
        raise RuntimeError(f"a batch of 3 differs from 3 single runs by {d:.3g} (> {TOL})")
    out = os.path.join(out_dir, name + ".onnx")
    tsconv.write_atomic(out, data)
    return {"file": os.path.basename(out), "bytes": len(data), "outputs": output_names,
            "opset": OPSET, "checks": checks}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models_dir")
    ap.add_argument("--models", default="fmnist_cnn", help="comma-separated names, or all")
    ap.add_argument("--src", help="the unpacked npm tarballs, for the converted models")
    ap.add_argument("--out", help="where the .onnx files go (default: MODELS_DIR)")
    ap.add_argument("--report", help="write what was exported (or why not) here, as JSON")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = list(MODELS) if args.models == "all" else args.models.split(",")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"export_onnx: unknown model(s) {unknown}; known: {', '.join(MODELS)}")
    report, failed = {}, []
    for name in names:
        t = time.time()
        if not os.path.exists(os.path.join(args.models_dir, name + ".pt")):
            report[name] = {"error": "no TorchScript file"}
            failed.append(name)
            continue
        try:
            report[name] = export_one(name, args.models_dir, args.out or args.models_dir, args.src)
            print(f"export_onnx: {name}.onnx written, OpenCV DNN matches TorchScript "
                  f"({time.time() - t:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001  (any converter error is a result here)
            # OpenCV's and the exporter's messages span lines; the cause is in the first few.
            message = " ".join(str(e).split()).replace("OpenCV(4.6.0) ./modules/dnn/src/", "")
            report[name] = {"error": f"{type(e).__name__}: {message}"[:400]}
            failed.append(name)
            print(f"export_onnx: {name}: not exported: {report[name]['error']}", flush=True)
    if args.report:
        with open(args.report + ".tmp", "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
        os.replace(args.report + ".tmp", args.report)
    return 1 if failed and args.models != "all" else 0


if __name__ == "__main__":
    sys.exit(main())
