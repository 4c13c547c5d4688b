"""CenterNet's detections re-encoded in the two YOLO output layouts, as TorchScript models
for the yolo_decoder node's end-to-end tests: each wraps centernet_mbv3_coco512.pt (same
input: [N, 3, 512, 512] RGB pixels 0..255, float32 or uint8, any batch) and turns its
[N, 100, 6] rows (x1, y1, x2, y2, score, class) into

  centernet_yolov8_layout512.pt  [N, 84, 100]: rows cx, cy, w, h, then 80 class scores
                                 (the detection's score at its class, 0 elsewhere);
  centernet_yolov5_layout512.pt  [N, 100, 85]: per detection cx, cy, w, h, objectness
                                 (= the score), then 80 class scores (1 at its class).

cx = (x1 + x2) / 2, w = |x2 - x1| (and so for y), in input pixels: the same rectangle
box_decoder makes of the corners, which it takes in either order. Decoded as YOLO outputs
(score = max class score, times the objectness for v5; class = first argmax; x1 = cx - w/2
...; no sigmoid) with box_decoder's min_score and no NMS, they give box_decoder's
detections of CenterNet: the same rows, classes and scores (bit for bit), boxes within a
float32 rounding (~3e-5 px at 512). The one difference: a row whose score is exactly 0 has
class 0 in the v8 layout (every class scores 0); no min_score above 0 keeps it.

    /usr/bin/python3 yolo_layouts.py MODELS_DIR [--layouts v8,v5]

reads MODELS_DIR/centernet_mbv3_coco512.pt and writes the files next to it, each in a
process of its own (TorchScript renames a class it has seen before in the same process)
with PYTHONHASHSEED=0 and tsconv.serialize, so the same inputs give the same bytes.
Checked before writing: the decoding above against CenterNet's rows on smooth random
images at min_score 0 (all 100 rows), a batch of 3 against 3 single runs (bit for bit),
no tensor constants in the graph (.to(device) moves everything), and the saved bytes
reloaded giving the same outputs.
"""
import os
import sys

if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"  # reproducible TorchScript files (see convert_models.py)
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse
import io
import subprocess

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tsconv  # noqa: E402  (serialize, write_atomic, _tensor_constants)

CENTERNET = "centernet_mbv3_coco512.pt"
FILES = {"v8": "centernet_yolov8_layout512.pt", "v5": "centernet_yolov5_layout512.pt"}
CLASSES = 80
ROWS = 100


class YoloLayout(nn.Module):
    """CenterNet's [N, 100, 6] detections as a YOLOv8 ([N, 4 + 80, 100]) or YOLOv5
    ([N, 100, 5 + 80]) output."""

    name: str
    v5: bool
    classes: int

    def __init__(self, centernet, name, v5):
        super().__init__()
        self.centernet = centernet
        self.name = name
        self.v5 = v5
        self.classes = CLASSES

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.size(1) != 3 or x.size(2) != 512 or x.size(3) != 512:
            raise RuntimeError(self.name + " takes [N, 3, 512, 512] RGB pixels 0..255; got a tensor of shape "
                               + str(x.shape))
        det = self.centernet(x)  # [N, 100, 6]: x1, y1, x2, y2, score, class
        x1, y1, x2, y2 = det[:, :, 0], det[:, :, 1], det[:, :, 2], det[:, :, 3]
        box = torch.stack([(x1 + x2) * 0.5, (y1 + y2) * 0.5, (x2 - x1).abs(), (y2 - y1).abs()], dim=2)
        score = det[:, :, 4:5]
        cls = det[:, :, 5].long().clamp(0, self.classes - 1).unsqueeze(2)
        classes = torch.zeros([det.size(0), det.size(1), self.classes], dtype=det.dtype, device=det.device)
        if self.v5:
            classes = classes.scatter(2, cls, torch.ones_like(score))
            return torch.cat([box, score, classes], dim=2)  # [N, 100, 85]
        classes = classes.scatter(2, cls, score)
        return torch.cat([box, classes], dim=2).transpose(1, 2).contiguous()  # [N, 84, 100]


def example(count=4, size=512, seed=0):
    """Smooth random images (blurred noise), 0..255, for the checks."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(count, 3, size // 8, size // 8, generator=g)
    img = nn.functional.interpolate(low, size=(size, size), mode="bilinear", align_corners=False)
    return (img * 255).clamp(0, 255).round()


def decode(out, v5):
    """YOLO semantics, no NMS, min_score 0: -> (x1, y1, x2, y2, score, class) per anchor."""
    table = out if v5 else out.transpose(0, 1)  # [A, R]
    head = 5 if v5 else 4
    cls = table[:, head:]
    best = cls.max(dim=1).values
    first = (cls == best.unsqueeze(1)).float().argmax(dim=1)  # the first argmax
    score = table[:, 4] * best if v5 else best
    cx, cy, w, h = table[:, 0], table[:, 1], table[:, 2], table[:, 3]
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1), score, first


def check_against(det, out, v5, name):
    """det: CenterNet's [100, 6]; out: the layout's output for the same image."""
    boxes, score, cls = decode(out, v5)
    corners = torch.stack([torch.minimum(det[:, 0], det[:, 2]), torch.minimum(det[:, 1], det[:, 3]),
                           torch.maximum(det[:, 0], det[:, 2]), torch.maximum(det[:, 1], det[:, 3])], 1)
    if not torch.equal(score, det[:, 4]):
        raise RuntimeError(f"{name}: decoded scores differ from CenterNet's")
    positive = det[:, 4] > 0
    if not torch.equal(cls[positive], det[positive, 5].long()):
        raise RuntimeError(f"{name}: decoded classes differ from CenterNet's")
    d = float((boxes.double() - corners.double()).abs().max())
    if d > 1e-3:
        raise RuntimeError(f"{name}: decoded boxes differ from CenterNet's by {d:.3g} px")
    return d


def build(models_dir, layout):
    name = FILES[layout]
    v5 = layout == "v5"
    centernet = torch.jit.load(os.path.join(models_dir, CENTERNET)).eval()
    model = torch.jit.script(YoloLayout(centernet, name, v5)).eval()
    bad = tsconv._tensor_constants(model.inlined_graph)
    if bad:
        raise RuntimeError(f"{name}: the graph holds tensor constants {bad[:5]}")
    x = example()
    with torch.no_grad():
        batch = model(x[:3])
        want = [3, 100, 85] if v5 else [3, 84, 100]
        if list(batch.shape) != want:
            raise RuntimeError(f"{name}: output of shape {list(batch.shape)}, expected {want}")
        worst = 0.0
        for i in range(3):
            single = model(x[i:i + 1])
            if not torch.equal(single, model(x[i:i + 1].to(torch.uint8))):
                raise RuntimeError(f"{name}: uint8 input gives another result")
            worst = max(worst, check_against(centernet(x[i:i + 1])[0], single[0], v5, name))
        batch_diff = tsconv.max_rel_diff(torch.cat([model(x[i:i + 1]) for i in range(3)]), batch)
        # The layout is elementwise on CenterNet's rows: a batch moves it as much as it moves
        # CenterNet (check_batch_invariance.py bounds both at 1e-4).
        if not batch_diff <= 1e-5:
            raise RuntimeError(f"{name}: a batch of 3 differs from 3 single runs by {batch_diff:.3g}")
    data = tsconv.serialize(model)
    with torch.no_grad():
        if not torch.equal(torch.jit.load(io.BytesIO(data))(x[:3]), batch):
            raise RuntimeError(f"{name}: the saved module gives different results")
    tsconv.write_atomic(os.path.join(models_dir, name), data)
    print(f"yolo_layouts: {name}: {list(batch.shape[1:])}, decoded = CenterNet's rows (boxes within "
          f"{worst:.2g} px), batch of 3 vs singles {batch_diff:.2g}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models_dir")
    ap.add_argument("--layouts", default="v8,v5", help="comma-separated: v8, v5")
    args = ap.parse_args()
    layouts = args.layouts.split(",")
    for layout in layouts:
        if layout not in FILES:
            ap.error(f"unknown layout '{layout}' (v8, v5)")
    if not os.path.exists(os.path.join(args.models_dir, CENTERNET)):
        print(f"yolo_layouts: {os.path.join(args.models_dir, CENTERNET)} is missing: build CenterNet first "
              "(fetch_models.sh --only centernet)", file=sys.stderr)
        return 1
    if len(layouts) > 1:  # one process per file (TorchScript's class renaming)
        for layout in layouts:
            subprocess.run([sys.executable, os.path.abspath(__file__), args.models_dir, "--layouts", layout],
                           check=True)
        return 0
    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    build(args.models_dir, layouts[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
