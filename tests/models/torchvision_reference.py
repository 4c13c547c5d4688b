"""Python reference for sluice's torchvision support: runs the scripted models written by
make_torchvision_models.py on images, fed as sluice feeds them, and writes what they give.

    /usr/bin/python3 tests/models/torchvision_reference.py MODELS_DIR OUT.json IMAGE... \
        [--batch N] [--threads N] [--models a.pt,b.pt]

Input, as sluice's image_source -> color_convert(to = "RGB") -> to_tensor(scale =
0.00392156862745098) build it: cv2.imread (BGR, 8-bit), BGR -> RGB, HWC -> CHW, float32
times float32(1/255) (cv::Mat::convertTo with alpha = 1/255 multiplies by the float
alpha, which differs from x / 255 by 1 ulp for 126 of the 256 values), no resizing (the
models' own transform resizes and maps the boxes back).

Detection models (every *.pt but deeplabv3_* and fcn_*): model([chw, ...]) ->
(losses, [dict per image]); --batch N puts N images in one list, in the order given
(default 1: one image per call; the R-CNNs and RetinaNet pad a list to its largest
image, which changes the smaller images' results). Segmentation models:
model(chw.unsqueeze(0)) -> {"out": [1, C, H, W]}. --threads: torch.set_num_threads (default
1, as sluice's torchscript node; the count changes which convolution kernels run, so the
outputs differ in the last bits).

OUT.json:
  {"models": {"<file>.pt": {"kind": "detection"|"segmentation",
      "images": {"<image path as given>": {
          "width": W, "height": H,
          detection:    "detections": [{"box": [x1, y1, x2, y2], "score": s, "label": int,
                                        Mask R-CNN: "mask_rect": [x, y, w, h],
                                        "mask_rle": [...], "mask_pixels": n,
                                        "mask_marginal": n}, ...]   (the model's order)
                        "min_score_gap": the smallest difference between two scores
          segmentation: "classes": {"<class id>": pixel count}, "near_ties": n}}}}}

Values are the float32 outputs written exactly (as doubles). Instance masks: the model's
masks [K, 1, H, W] are probabilities at the image's size. mask_rect = the box rounded
outwards and clipped to the image: x0 = max(0, floor(x1)), y0 = max(0, floor(y1)),
x1' = min(W, ceil(x2)), y1' = min(H, ceil(y2)), rect [x0, y0, x1' - x0, y1' - y0]; pixel
(i, j) of the rect (column i, row j) is in the mask when masks[k, 0, y0 + j, x0 + i]
>= 0.5. mask_rle: run lengths over the rect, row-major, starting with the run of 0 pixels
(0 when the first pixel is in). mask_pixels: how many are in. mask_marginal: how many
pixels of the rect have |p - 0.5| < 1e-4 (the ones another build could put on the other
side). Segmentation: class of a pixel = argmax over the channels of "out" (the first
maximum); classes counts the pixels per class id present; near_ties: pixels whose two
largest channel values are within 1e-4.
"""
import argparse
import json
import math
import os
import time

import cv2
import numpy as np
import torch
import torchvision  # noqa: F401  registers torchvision::nms and roi_align for the scripted models

SEGMENTATION_PREFIXES = ("deeplabv3_", "fcn_")
SCALE = np.float32(0.00392156862745098)  # == np.float32(1 / 255)


# forward's schema, after the module type: what sluice's input = "image_list" relies on.
DETECTION_SCHEMA = ("Tensor[] images, Dict(str, Tensor)[]? targets=None) -> "
                    "((Dict(str, Tensor), Dict(str, Tensor)[]))")
SEGMENTATION_SCHEMA = "Tensor x) -> Dict(str, Tensor)"


def load_chw(path):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    chw = np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype(np.float32) * SCALE
    return torch.from_numpy(chw)


def mask_record(box, prob, width, height):
    """box: 4 float32 values, prob: [H, W] float32 probabilities."""
    x0 = max(0, math.floor(box[0]))
    y0 = max(0, math.floor(box[1]))
    x1 = min(width, math.ceil(box[2]))
    y1 = min(height, math.ceil(box[3]))
    w, h = max(0, x1 - x0), max(0, y1 - y0)
    p = prob[y0:y0 + h, x0:x0 + w]
    bits = (p >= 0.5).reshape(-1)
    ends = np.concatenate([np.flatnonzero(bits[1:] != bits[:-1]) + 1, [bits.size]])
    runs = np.diff(np.concatenate([[0], ends])).tolist() if bits.size else [0]
    if bits.size and bits[0]:
        runs.insert(0, 0)
    return {"mask_rect": [x0, y0, w, h], "mask_rle": runs, "mask_pixels": int(bits.sum()),
            "mask_marginal": int((np.abs(p - 0.5) < 1e-4).sum())}


def check_detection_outputs(d, width, height):
    k = d["scores"].shape[0]
    expected = {"boxes": (torch.float32, (k, 4)), "scores": (torch.float32, (k,)),
                "labels": (torch.int64, (k,))}
    if "masks" in d:
        expected["masks"] = (torch.float32, (k, 1, height, width))
    got = {key: (v.dtype, tuple(v.shape)) for key, v in d.items()}
    if got != expected:
        raise SystemExit(f"unexpected detection outputs {got}, expected {expected}")


def detection_record(d, width, height):
    check_detection_outputs(d, width, height)
    boxes = d["boxes"].numpy()
    scores = d["scores"].numpy()
    labels = d["labels"].numpy()
    masks = d["masks"].numpy() if "masks" in d else None
    dets = []
    for k in range(len(scores)):
        det = {"box": [float(v) for v in boxes[k]], "score": float(scores[k]),
               "label": int(labels[k])}
        if masks is not None:
            det.update(mask_record(boxes[k].tolist(), masks[k, 0], width, height))
        dets.append(det)
    s = np.sort(scores.astype(np.float64))
    gap = float(np.min(np.diff(s))) if len(s) > 1 else None
    return {"width": width, "height": height, "detections": dets, "min_score_gap": gap}


def segmentation_record(out, width, height):
    out = out[0]
    classes = out.argmax(0)
    counts = torch.bincount(classes.reshape(-1), minlength=out.shape[0]).tolist()
    top2 = out.topk(2, dim=0).values
    return {"width": width, "height": height,
            "classes": {str(c): n for c, n in enumerate(counts) if n},
            "near_ties": int(((top2[0] - top2[1]) < 1e-4).sum())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models_dir")
    ap.add_argument("out_json")
    ap.add_argument("images", nargs="+")
    ap.add_argument("--batch", type=int, default=1, help="images per call of a detector")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (default 1, as sluice's torchscript node)")
    ap.add_argument("--models", default="", help="comma-separated .pt names (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    names = sorted(f for f in os.listdir(args.models_dir) if f.endswith(".pt"))
    if args.models:
        wanted = args.models.split(",")
        missing = [w for w in wanted if w not in names]
        if missing:
            raise SystemExit(f"not in {args.models_dir}: {', '.join(missing)}")
        names = [n for n in names if n in wanted]
    if not names:
        raise SystemExit(f"no .pt files in {args.models_dir}")
    inputs = {path: load_chw(path) for path in args.images}
    result = {"models": {}}
    start = time.time()
    with torch.no_grad():
        for name in names:
            t0 = time.time()
            model = torch.jit.load(os.path.join(args.models_dir, name)).eval()
            segmentation = name.startswith(SEGMENTATION_PREFIXES)
            schema = str(model.forward.schema)
            if not schema.endswith(SEGMENTATION_SCHEMA if segmentation else DETECTION_SCHEMA):
                raise SystemExit(f"{name}: unexpected forward schema {schema}")
            images = {}
            if segmentation:
                for path, chw in inputs.items():
                    out = model(chw.unsqueeze(0))["out"]
                    if out.dtype != torch.float32 or \
                            tuple(out.shape) != (1, out.shape[1], chw.shape[1], chw.shape[2]):
                        raise SystemExit(f"{name}: out is {out.dtype} {tuple(out.shape)}")
                    images[path] = segmentation_record(out, chw.shape[2], chw.shape[1])
            else:
                paths = list(inputs)
                for i in range(0, len(paths), args.batch):
                    group = paths[i:i + args.batch]
                    _, dets = model([inputs[p] for p in group])
                    for p, d in zip(group, dets):
                        images[p] = detection_record(d, inputs[p].shape[2], inputs[p].shape[1])
            seconds = time.time() - t0
            result["models"][name] = {"kind": "segmentation" if segmentation else "detection",
                                      "images": images}
            summary = ", ".join(
                f"{len(r['detections'])} dets" if "detections" in r else f"{len(r['classes'])} classes"
                for r in images.values())
            print(f"{name}: {seconds:.1f}s ({summary})", flush=True)
    with open(args.out_json, "w") as f:
        json.dump(result, f, indent=1)
    print(f"total {time.time() - start:.1f}s, {torch.get_num_threads()} threads -> {args.out_json}")


if __name__ == "__main__":
    main()
