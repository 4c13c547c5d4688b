"""Reference decoder for YOLO outputs (the `yolo_decoder` node's semantics), in numpy, and
seeded random test cases for it: one JSON file per case, OUT_DIR/case_NN.json.

    /usr/bin/python3 tests/models/yolo_reference.py OUT_DIR      # prints how many it wrote

The same command writes the same files (fixed seeds, numpy's PCG64).

Semantics (the C++ decoder follows the same):

- Shapes: v8: [1, R, A] or [R, A] (R = 4 + C + extra rows, A anchors); v5: [1, A, R] or
  [A, R] (R = 5 + C + extra). extra = M mask coefficients (M = the protos' channels) for
  segment, 3K for pose, 0 for detect.
- v8: cx, cy, w, h = rows 0..3; class scores rows 4..4+C-1; score = max class score,
  class_id = first argmax; the extras follow the class rows. v5: per anchor row
  [cx, cy, w, h, objectness, C class scores, extras]; score = objectness * max class score
  (a float32 product), class_id = first argmax of the class scores. No sigmoid is applied
  to boxes or scores (exported models output probabilities).
- Keep anchors with score >= min_score. Box in input pixels: x1 = cx - w/2,
  y1 = cy - h/2, x2 = cx + w/2, y2 = cy + h/2.
- Sort the kept anchors by score, descending, stable (equal scores keep anchor order).
  Class-wise greedy NMS: a box is suppressed when its IoU with an already kept box of the
  same class is > iou (strictly). IoU = inter / (area_a + area_b - inter) in input pixels,
  0 when the union is 0. iou >= 1.0: no NMS. Stop after max_detections kept.
- To the source frame with the inverse of `transform` (which maps source pixels to input
  pixels: x' = a x + b y + c, y' = d x + e y + f): the corners (x1, y1) and (x2, y2) each
  mapped, box = [min x, min y, max x - min x, max y - min y]. Not clipped to the frame.
- Pose: keypoint k = (extras[3k], extras[3k+1]) in input pixels, mapped like the corners;
  its score extras[3k+2] as it is.
- Segment: coefficients = the anchor's M extras. P(u, v) = sigmoid(sum_m coef[m] *
  protos[0, m, v, u]) on the mh x mw grid. mask_rect = the source box rounded outwards to
  whole pixels and clipped to the frame: x0 = max(0, floor(x)), y0 = max(0, floor(y)),
  x1 = min(frame_w, ceil(x + w)), y1 = min(frame_h, ceil(y + h)), rect
  [x0, y0, x1 - x0, y1 - y0]. Source pixel (i, j) of the rect (column i, row j): its centre
  (i + 0.5, j + 0.5) mapped by `transform` to input pixel q; u = q.x * mw / W - 0.5,
  v = q.y * mh / H - 0.5 (input_size = [W, H]); P bilinearly interpolated at (u, v), the
  coordinates clamped to [0, mw - 1] x [0, mh - 1] (cv::remap with BORDER_REPLICATE, torch's
  align_corners=False upsampling, but with exact weights); the pixel is in the mask when
  that value >= 0.5 and x1 <= q.x < x2, y1 <= q.y < y2 (the box in input pixels).
  mask_rle: run lengths over the rect, row-major, starting with the run of 0 pixels (0
  when the first pixel is in the mask). (A box entirely off the frame would give a rect of
  width or height <= 0; no case has one.)

Case files:
  {"name", "layout": "v5"|"v8", "task": "detect"|"segment"|"pose", "shape", "values" (flat,
   C order, float32 values), "protos_shape": [1, M, mh, mw], "protos" (segment only),
   "classes": C, "keypoints": K (0 unless pose), "min_score", "iou", "max_detections",
   "input_size": [W, H], "transform": [a, b, c, d, e, f], "frame_size": [width, height],
   "expected": [{"box": [x, y, w, h], "score", "class_id", "anchor" (its index, for
   messages), "keypoints": [[x, y, score], ...] (pose), "mask_rect": [x, y, w, h],
   "mask_rle": [...] (segment)}, ...] in the decoder's output order}

Every value in "values" and "protos" is a float32 (written as its shortest decimal), so
a C++ test reading them as doubles and casting to float gets the tensor decoded here. The
reference computes in float64 from those float32 values, except the v5 score (a float32
product, as C++ computes it). Each case is checked to have no decision a float32
implementation could take differently: no score within 1e-6 of min_score (except ones
planted exactly at it) nor two distinct kept scores within 1e-6 of each other, no
same-class IoU within 1e-4 of the NMS threshold, no mask value within 5e-5 of 0.5 inside
the box, no pixel centre within 1e-3 input px of the box edges, no source box edge within
1e-3 px of a whole pixel. A random draw that has one is drawn again (the next attempt).
"""
import json
import math
import os
import sys

import numpy as np

SCORE_EPS = 1e-6
IOU_EPS = 1e-4
MASK_EPS = 5e-5
EDGE_EPS = 1e-3


class Ambiguous(Exception):
    """The case has a decision a float32 implementation might take the other way."""


# --- the reference decoder ---------------------------------------------------------------

def inverse(t):
    a, b, c, d, e, f = (float(v) for v in t)
    det = a * e - b * d
    if det == 0:
        raise ValueError("transform is not invertible")
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return (ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f))


def apply(t, x, y):
    a, b, c, d, e, f = t
    return a * x + b * y + c, d * x + e * y + f


def split(case):
    """-> (boxes [A, 4] cx cy w h, objectness [A] or None, class scores [A, C], extras [A, E]),
    float32, from the case's predictions tensor."""
    layout, task, c = case["layout"], case["task"], case["classes"]
    values = np.asarray(case["values"], dtype=np.float64).astype(np.float32)
    shape = list(case["shape"])
    if len(shape) == 3:
        if shape[0] != 1:
            raise ValueError(f"shape {shape}: one image only")
        shape = shape[1:]
    if len(shape) != 2:
        raise ValueError(f"shape {case['shape']} is not [1, R, A], [R, A] (v8) or [1, A, R], [A, R] (v5)")
    extra = {"detect": 0, "pose": 3 * case["keypoints"],
             "segment": case["protos_shape"][1] if task == "segment" else 0}[task]
    table = values.reshape(shape)
    if layout == "v8":
        table = table.T  # -> [A, R]
        head = 4
    elif layout == "v5":
        head = 5
    else:
        raise ValueError(f"layout {layout}")
    if table.shape[1] != head + c + extra:
        raise ValueError(f"shape {case['shape']}: {table.shape[1]} values per anchor, expected {head + c + extra}")
    boxes = table[:, 0:4]
    obj = table[:, 4] if layout == "v5" else None
    cls = table[:, head:head + c]
    extras = table[:, head + c:]
    return boxes, obj, cls, extras


def iou(p, q):
    iw = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
    ih = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    inter = iw * ih
    union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
    return inter / union if union > 0 else 0.0


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def mask_of(case, protos, coef, corners, box, strict=True):
    """(mask_rect, mask_rle) of one detection (protos: [M, mh * mw]); raises Ambiguous on a
    close call."""
    fw, fh = case["frame_size"]
    W, H = case["input_size"]
    _, m, mh, mw = case["protos_shape"]
    proto = sigmoid(coef.astype(np.float64) @ protos).reshape(mh, mw)
    bx, by, bw, bh = box
    for edge in (bx, by, bx + bw, by + bh):
        if strict and abs(edge - round(edge)) < EDGE_EPS:
            raise Ambiguous(f"source box edge {edge} is within {EDGE_EPS} of a whole pixel")
    x0, y0 = max(0, math.floor(bx)), max(0, math.floor(by))
    x1, y1 = min(fw, math.ceil(bx + bw)), min(fh, math.ceil(by + bh))
    if x1 <= x0 or y1 <= y0:
        if strict:
            raise Ambiguous("box off the frame (empty mask rect)")
        return [x0, y0, max(0, x1 - x0), max(0, y1 - y0)], []
    t = [float(v) for v in case["transform"]]
    ii, jj = np.meshgrid(np.arange(x0, x1, dtype=np.float64) + 0.5,
                         np.arange(y0, y1, dtype=np.float64) + 0.5)
    qx, qy = apply(t, ii, jj)
    u = np.clip(qx * mw / W - 0.5, 0, mw - 1)
    v = np.clip(qy * mh / H - 0.5, 0, mh - 1)
    u0 = np.floor(u).astype(np.int64)
    v0 = np.floor(v).astype(np.int64)
    u1 = np.minimum(u0 + 1, mw - 1)
    v1 = np.minimum(v0 + 1, mh - 1)
    fu, fv = u - u0, v - v0
    top = proto[v0, u0] * (1 - fu) + proto[v0, u1] * fu
    bottom = proto[v1, u0] * (1 - fu) + proto[v1, u1] * fu
    value = top * (1 - fv) + bottom * fv
    ix1, iy1, ix2, iy2 = corners
    inside = (qx >= ix1) & (qx < ix2) & (qy >= iy1) & (qy < iy2)
    near_edge = np.minimum.reduce([np.abs(qx - ix1), np.abs(qx - ix2), np.abs(qy - iy1), np.abs(qy - iy2)])
    if strict and np.any(near_edge < EDGE_EPS):
        raise Ambiguous("a pixel centre lies on the box edge")
    if strict and np.any(inside & (np.abs(value - 0.5) < MASK_EPS)):
        raise Ambiguous("a mask value is within MASK_EPS of 0.5")
    mask = (inside & (value >= 0.5)).ravel().astype(np.int8)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(mask)) + 1, [mask.size]])
    rle = np.diff(bounds).tolist()
    if mask[0]:
        rle = [0] + rle
    return [x0, y0, x1 - x0, y1 - y0], rle


def decode(case, strict=True):
    """The detections of a case, in output order (a list of dicts as in "expected").
    strict: raise Ambiguous when a float32 implementation could decide differently."""
    boxes, obj, cls, extras = split(case)
    boxes64 = boxes.astype(np.float64)
    min_score = float(case["min_score"])
    threshold = float(case["iou"])
    best = cls.max(axis=1) if cls.shape[1] else np.zeros(len(cls), np.float32)
    class_id = cls.argmax(axis=1) if cls.shape[1] else np.zeros(len(cls), np.int64)  # first argmax
    if obj is None:
        score = best.astype(np.float32)
        score64 = score.astype(np.float64)
    else:
        score = (obj * best).astype(np.float32)  # float32 product
        score64 = obj.astype(np.float64) * best.astype(np.float64)
    if strict:
        exact = np.float32(min_score) == min_score
        close = np.abs(score64 - min_score) < SCORE_EPS
        if np.any(close & ~((score64 == min_score) & exact)):
            raise Ambiguous("a score is within SCORE_EPS of min_score")
    kept = [i for i in range(len(score)) if float(score[i]) >= min_score]
    order = sorted(kept, key=lambda i: -float(score[i]))  # sorted() is stable
    if strict:
        for p, q in zip(order, order[1:]):
            d = float(score[p]) - float(score[q])
            if (d == 0) != (score64[p] == score64[q]) or (0 < d < SCORE_EPS):
                raise Ambiguous("two kept scores are within SCORE_EPS")
    corners = {}
    for i in order:
        cx, cy, w, h = boxes64[i]
        corners[i] = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    if strict and threshold < 1.0:
        for n, p in enumerate(order):
            for q in order[n + 1:]:
                if class_id[p] == class_id[q] and abs(iou(corners[p], corners[q]) - threshold) < IOU_EPS:
                    raise Ambiguous("a same-class IoU is within IOU_EPS of the threshold")
    selected = []
    for i in order:
        if len(selected) >= case["max_detections"]:
            break
        if threshold < 1.0 and any(class_id[j] == class_id[i] and iou(corners[j], corners[i]) > threshold
                                   for j in selected):
            continue
        selected.append(i)
    inv = inverse(case["transform"])
    if case["task"] == "segment":
        _, m, mh, mw = case["protos_shape"]
        protos = np.asarray(case["protos"], dtype=np.float64).astype(np.float32).astype(np.float64)
        if protos.size != m * mh * mw:
            raise ValueError(f"{protos.size} proto values for protos_shape {case['protos_shape']}")
        protos = protos.reshape(m, mh * mw)
    out = []
    for i in selected:
        x1, y1, x2, y2 = corners[i]
        p0, p1 = apply(inv, x1, y1), apply(inv, x2, y2)
        bx, by = min(p0[0], p1[0]), min(p0[1], p1[1])
        box = [bx, by, max(p0[0], p1[0]) - bx, max(p0[1], p1[1]) - by]
        det = {"box": box, "score": float(score[i]), "class_id": int(class_id[i]), "anchor": int(i)}
        if case["task"] == "pose":
            kps = []
            for k in range(case["keypoints"]):
                kx, ky, ks = (float(v) for v in extras[i, 3 * k:3 * k + 3])
                kps.append(list(apply(inv, kx, ky)) + [ks])
            det["keypoints"] = kps
        if case["task"] == "segment":
            det["mask_rect"], det["mask_rle"] = mask_of(case, protos, extras[i], corners[i], box, strict)
        out.append(det)
    return out


# --- random cases -------------------------------------------------------------------------

def letterbox(frame, size, centre=True):
    """sluice's letterbox node: per-axis scale = round(side * s) / side, pads split in two."""
    (fw, fh), (W, H) = frame, size
    s = min(W / fw, H / fh)
    sw, sh = min(max(round(fw * s), 1), W), min(max(round(fh * s), 1), H)
    left, top = ((W - sw) // 2, (H - sh) // 2) if centre else (0, 0)
    return [sw / fw, 0.0, float(left), 0.0, sh / fh, float(top)]


def f32(x, decimals):
    """Rounded to `decimals`, then to float32."""
    return np.round(np.asarray(x, dtype=np.float64), decimals).astype(np.float32)


def to_json_floats(a):
    """float32 array -> list of floats whose shortest decimals give back the same float32."""
    a = np.asarray(a, dtype=np.float32).ravel()
    out = [float(str(v)) for v in a]
    back = np.asarray(out, dtype=np.float64).astype(np.float32)
    if not np.array_equal(back, a):
        bad = np.nonzero(back != a)[0]
        for k in bad:
            out[k] = float(a[k])  # the exact value, as a double
    return out


class Builder:
    """Per-anchor predictions, planted objects on low noise, written in either layout."""

    def __init__(self, rng, layout, task, anchors, classes, input_size, region, min_score,
                 keypoints=0, coefs=0):
        self.rng, self.layout, self.task = rng, layout, task
        self.A, self.C, self.K, self.M = anchors, classes, keypoints, coefs
        self.W, self.H = input_size
        self.region = region  # the frame's place in the input: x0, y0, x1, y1
        self.min_score = min_score
        r = rng
        # Noise: random boxes, class scores (and objectness) that stay below min_score.
        cx = r.uniform(0, self.W, anchors)
        cy = r.uniform(0, self.H, anchors)
        w = r.uniform(4, self.W / 3, anchors)
        h = r.uniform(4, self.H / 3, anchors)
        self.box = np.stack([cx, cy, w, h], 1)
        if layout == "v8":
            self.cls = r.uniform(0, 0.8 * min_score, (anchors, classes))
            self.obj = None
        else:
            self.cls = r.uniform(0, 1, (anchors, classes))
            self.obj = r.uniform(0, 0.8 * min_score, anchors)
        e = {"detect": 0, "pose": 3 * keypoints, "segment": coefs}[task]
        self.extras = np.zeros((anchors, e))
        if task == "pose":
            kx = r.uniform(0, self.W, (anchors, keypoints))
            ky = r.uniform(0, self.H, (anchors, keypoints))
            ks = r.uniform(0, 1, (anchors, keypoints))
            self.extras = np.stack([kx, ky, ks], 2).reshape(anchors, -1)
        elif task == "segment":
            self.extras = r.normal(0, 1, (anchors, coefs))
        self.free = list(r.permutation(anchors))
        self.planted = 0

    def random_box(self, min_side=0.06, max_side=0.3, overhang=0.0):
        """A box inside the frame's region of the input (overhang: up to that fraction of
        its size past the region's edge)."""
        r = self.rng
        x0, y0, x1, y1 = self.region
        rw, rh = x1 - x0, y1 - y0
        w = r.uniform(min_side, max_side) * rw
        h = r.uniform(min_side, max_side) * rh
        cx = r.uniform(x0 + w / 2 - overhang * w, x1 - w / 2 + overhang * w)
        cy = r.uniform(y0 + h / 2 - overhang * h, y1 - h / 2 + overhang * h)
        return np.array([cx, cy, w, h])

    def plant(self, box, cls, score, anchor=None, second_class=None):
        """Puts an object on a free anchor (or `anchor`): its box, its class with `score`
        (v5: objectness and class score whose product is about `score`). second_class: a
        class scoring the same (a tie: the first wins). -> the anchor."""
        r = self.rng
        a = self.free.pop() if anchor is None else anchor
        if anchor is not None and anchor in self.free:
            self.free.remove(anchor)
        self.box[a] = box
        if self.layout == "v8":
            self.cls[a] = r.uniform(0, 0.05, self.C)
            self.cls[a, cls] = score
            if second_class is not None:
                self.cls[a, second_class] = score
        else:
            objectness = min(1.0, score / r.uniform(0.85, 1.0))
            self.obj[a] = objectness
            self.cls[a] = r.uniform(0, 0.05, self.C)
            self.cls[a, cls] = score / objectness
            if second_class is not None:
                self.cls[a, second_class] = self.cls[a, cls]
        if self.task == "pose":
            cx, cy, w, h = box
            kx = r.uniform(cx - w / 2, cx + w / 2, self.K)
            ky = r.uniform(cy - h / 2, cy + h / 2, self.K)
            ks = r.uniform(0, 1, self.K)
            self.extras[a] = np.stack([kx, ky, ks], 1).ravel()
        elif self.task == "segment":
            self.extras[a] = r.normal(0, 1, self.M)
        self.planted += 1
        return a

    def jitter(self, box, amount):
        r = self.rng
        cx, cy, w, h = box
        return np.array([cx + r.normal(0, amount) * w, cy + r.normal(0, amount) * h,
                         w * r.uniform(1 - amount, 1 + amount), h * r.uniform(1 - amount, 1 + amount)])

    def tensor(self, batch=True):
        """-> (shape, float32 values) in the layout."""
        box = f32(self.box, 2)
        cls = f32(self.cls, 4)
        ex = f32(self.extras, 3 if self.task == "segment" else 2)
        if self.task == "pose":  # keypoint scores to 4 decimals
            ex = ex.reshape(self.A, self.K, 3)
            ex[:, :, 2] = f32(self.extras.reshape(self.A, self.K, 3)[:, :, 2], 4)
            ex = ex.reshape(self.A, -1)
        parts = [box]
        if self.layout == "v5":
            parts.append(f32(self.obj, 4)[:, None])
        parts += [cls, ex]
        table = np.concatenate(parts, 1).astype(np.float32)  # [A, R]
        if self.layout == "v8":
            table = np.ascontiguousarray(table.T)  # [R, A]
        shape = list(table.shape)
        if batch:
            shape = [1] + shape
        return shape, table


def smooth_protos(rng, m, mh, mw):
    """[1, m, mh, mw] float32: random fields, smooth over ~mh/5 cells, about -1.5..1.5."""
    import cv2
    low = rng.normal(0, 1, (m, max(2, mh // 5), max(2, mw // 5)))
    out = np.stack([cv2.resize(c.astype(np.float32), (mw, mh), interpolation=cv2.INTER_CUBIC) for c in low])
    return f32(out, 3)[None]


def region_of(transform, frame):
    a, _, c, _, e, f = transform
    return (c, f, c + a * frame[0], f + e * frame[1])


def base_case(name, layout, task, classes, input_size, frame, transform, min_score, iou_t,
              max_det, keypoints=0):
    return {"name": name, "layout": layout, "task": task, "classes": classes,
            "keypoints": keypoints, "min_score": min_score, "iou": iou_t,
            "max_detections": max_det, "input_size": list(input_size),
            "transform": [float(v) for v in transform], "frame_size": list(frame)}


def plant_objects(b, n, duplicates=True, overhang=0.0, score_range=(0.45, 0.95)):
    """n objects of random classes; about half get 1-2 duplicates (same class, jittered
    box, lower score) for NMS to remove. -> [(anchor, box, class, score)] of the originals."""
    r = b.rng
    objects = []
    for _ in range(n):
        box = b.random_box(overhang=overhang)
        c = int(r.integers(b.C))
        s = float(r.uniform(*score_range))
        a = b.plant(box, c, s)
        objects.append((a, box, c, s))
        if duplicates and r.random() < 0.5:
            for _ in range(int(r.integers(1, 3))):
                b.plant(b.jitter(box, 0.05), c, s * r.uniform(0.7, 0.98))
    return objects


def plant_on_edges(b):
    """Two objects straddling the frame's edges (its top and its right), clipped in the
    mask rect."""
    r = b.rng
    x0, y0, x1, y1 = b.region
    for cx, cy in ((r.uniform(x0 + 0.3 * (x1 - x0), x0 + 0.7 * (x1 - x0)), y0),
                   (x1, r.uniform(y0 + 0.3 * (y1 - y0), y0 + 0.7 * (y1 - y0)))):
        w, h = r.uniform(0.2, 0.3) * (x1 - x0), r.uniform(0.2, 0.3) * (y1 - y0)
        b.plant(np.array([cx, cy, w, h]), int(r.integers(b.C)), float(r.uniform(0.5, 0.9)))


def case_v8_detect(r):
    frame, size = (1280, 720), (640, 640)
    t = letterbox(frame, size)
    c = base_case("v8 detect: 80 classes, 300 anchors, NMS 0.45, letterbox 1280x720 -> 640",
                  "v8", "detect", 80, size, frame, t, 0.25, 0.45, 100)
    b = Builder(r, "v8", "detect", 300, 80, size, region_of(t, frame), 0.25)
    plant_objects(b, 15)
    # Greedy, not transitive: B overlaps A (suppressed), C overlaps B but not A (kept).
    box = b.random_box(0.15, 0.2)
    cls = int(r.integers(80))
    b.plant(box, cls, 0.97)
    b.plant(box + np.array([0.3 * box[2], 0, 0, 0]), cls, 0.96)
    b.plant(box + np.array([0.6 * box[2], 0, 0, 0]), cls, 0.95)
    # Two objects with the same score: anchor order; one at exactly min_score (kept).
    a1, a2 = sorted(b.free[-2:])
    b.free = b.free[:-2]
    b.plant(b.random_box(), int(r.integers(80)), 0.625, anchor=a1)
    b.plant(b.random_box(), int(r.integers(80)), 0.625, anchor=a2)
    b.plant(b.random_box(), int(r.integers(80)), 0.25)
    # A tie between two classes: the first wins.
    b.plant(b.random_box(), 41, 0.7, second_class=7)
    return c, b, True


def case_v5_detect(r):
    frame, size = (1000, 700), (640, 640)
    t = letterbox(frame, size)
    c = base_case("v5 detect: 80 classes, 300 anchors, NMS 0.45, letterbox 1000x700 -> 640",
                  "v5", "detect", 80, size, frame, t, 0.25, 0.45, 100)
    b = Builder(r, "v5", "detect", 300, 80, size, region_of(t, frame), 0.25)
    plant_objects(b, 15)
    b.plant(b.random_box(), 3, 0.6, second_class=2)  # class tie: class 2
    return c, b, True


def case_v8_no_nms(r):
    frame, size = (1280, 720), (640, 640)
    t = letterbox(frame, size)
    c = base_case("v8 detect without NMS (iou 1.0): every duplicate is kept", "v8", "detect", 80,
                  size, frame, t, 0.3, 1.0, 300)
    b = Builder(r, "v8", "detect", 300, 80, size, region_of(t, frame), 0.3)
    plant_objects(b, 12)
    box = b.random_box()
    b.plant(box, 5, 0.9)
    b.plant(box, 5, 0.8)  # the same box twice: IoU 1, kept all the same
    return c, b, True


def case_v8_max_det(r):
    frame, size = (1200, 900), (640, 640)
    # Both pads non-zero (a letterbox that also centres a stride-aligned canvas).
    t = [0.5, 0.0, 20.0, 0.0, 0.5, 95.0]
    c = base_case("v8 detect, max_detections 6 of more kept; pads on both axes", "v8", "detect", 80,
                  size, frame, t, 0.25, 0.5, 6)
    b = Builder(r, "v8", "detect", 300, 80, size, region_of(t, frame), 0.25)
    plant_objects(b, 14)
    return c, b, True


def case_v8_two_classes(r):
    frame, size = (640, 480), (320, 320)
    t = letterbox(frame, size)
    c = base_case("v8 detect, class-wise NMS: the same box as two classes keeps both", "v8", "detect",
                  3, size, frame, t, 0.25, 0.45, 100)
    b = Builder(r, "v8", "detect", 200, 3, size, region_of(t, frame), 0.25)
    for _ in range(4):
        box = b.random_box(0.1, 0.3)
        b.plant(box, 0, float(r.uniform(0.6, 0.95)))          # car
        b.plant(b.jitter(box, 0.03), 1, float(r.uniform(0.4, 0.9)))  # truck, same place: kept
        b.plant(b.jitter(box, 0.03), 0, float(r.uniform(0.3, 0.55)))  # a second car: suppressed
    plant_objects(b, 4, duplicates=False)
    return c, b, True


def case_v8_segment(r):
    frame, size = (200, 120), (160, 160)
    t = letterbox(frame, size)
    c = base_case("v8 segment: 3 classes, 32 coefficients, protos 40x40, 160 input, boxes past the frame",
                  "v8", "segment", 3, size, frame, t, 0.25, 0.45, 100)
    b = Builder(r, "v8", "segment", 525, 3, size, region_of(t, frame), 0.25, coefs=32)
    plant_objects(b, 8, overhang=0.35)
    plant_on_edges(b)
    c["protos"] = smooth_protos(r, 32, 40, 40)
    return c, b, True


def case_v5_segment_2d(r):
    frame, size = (320, 200), (256, 192)
    t = letterbox(frame, size)
    c = base_case("v5 segment, 2-D [A, 5 + C + 16], non-square input 256x192, protos 16x48x64",
                  "v5", "segment", 4, size, frame, t, 0.3, 0.5, 50)
    b = Builder(r, "v5", "segment", 400, 4, size, region_of(t, frame), 0.3, coefs=16)
    plant_objects(b, 7, overhang=0.35)
    plant_on_edges(b)
    c["protos"] = smooth_protos(r, 16, 48, 64)
    return c, b, False


def case_v8_pose(r):
    frame, size = (640, 480), (320, 320)
    t = letterbox(frame, size)
    c = base_case("v8 pose: 1 class, 17 keypoints, 400 anchors", "v8", "pose", 1, size, frame, t,
                  0.25, 0.45, 100, keypoints=17)
    b = Builder(r, "v8", "pose", 400, 1, size, region_of(t, frame), 0.25, keypoints=17)
    plant_objects(b, 8)
    return c, b, True


def case_v5_pose(r):
    frame, size = (480, 640), (320, 320)
    t = letterbox(frame, size)
    c = base_case("v5 pose: 2 classes, 5 keypoints, portrait frame (pads left and right)", "v5", "pose",
                  2, size, frame, t, 0.3, 0.45, 100, keypoints=5)
    b = Builder(r, "v5", "pose", 300, 2, size, region_of(t, frame), 0.3, keypoints=5)
    plant_objects(b, 6)
    return c, b, True


def case_v8_2d(r):
    frame, size = (800, 600), (416, 416)
    t = [416 / 800, 0.0, 0.0, 0.0, 416 / 600, 0.0]  # a plain resize: the axes scale differently
    c = base_case("v8 detect, 2-D [4 + C, A], plain resize 800x600 -> 416x416", "v8", "detect", 5,
                  size, frame, t, 0.25, 0.45, 100)
    b = Builder(r, "v8", "detect", 250, 5, size, region_of(t, frame), 0.25)
    plant_objects(b, 10)
    return c, b, False


def case_v8_empty(r):
    frame, size = (1280, 720), (640, 640)
    t = letterbox(frame, size)
    c = base_case("v8 detect, nothing reaches min_score: no detections", "v8", "detect", 80, size,
                  frame, t, 0.25, 0.45, 100)
    b = Builder(r, "v8", "detect", 100, 80, size, region_of(t, frame), 0.25)
    return c, b, True


def case_v5_max_det_no_nms(r):
    frame, size = (1280, 720), (640, 384)
    t = letterbox(frame, size)
    c = base_case("v5 detect, no NMS and max_detections 4, input 640x384", "v5", "detect", 80, size,
                  frame, t, 0.25, 1.0, 4)
    b = Builder(r, "v5", "detect", 200, 80, size, region_of(t, frame), 0.25)
    plant_objects(b, 8)
    return c, b, True


CASES = [case_v8_detect, case_v5_detect, case_v8_no_nms, case_v8_max_det, case_v8_two_classes,
         case_v8_segment, case_v5_segment_2d, case_v8_pose, case_v5_pose, case_v8_2d, case_v8_empty,
         case_v5_max_det_no_nms]


def make_case(index, make):
    for attempt in range(100):
        rng = np.random.default_rng([index, attempt])
        case, builder, batch = make(rng)
        shape, table = builder.tensor(batch)
        case["shape"] = shape
        case["values"] = to_json_floats(table)
        if case["task"] == "segment":
            protos = case.pop("protos")
            case["protos_shape"] = list(protos.shape)
            case["protos"] = to_json_floats(protos)
        try:
            case["expected"] = decode(case)
        except Ambiguous:
            continue
        case["attempt"] = attempt
        return case
    raise RuntimeError(f"case {index}: no unambiguous draw in 100 attempts")


def check(case):
    """What the cases are for: each shows what its name says."""
    exp, name = case["expected"], case["name"]
    if "nothing" in name:
        assert not exp, name
        return
    assert exp, name
    scores = [d["score"] for d in exp]
    assert scores == sorted(scores, reverse=True), name
    loose = decode(dict(case, iou=1.0, max_detections=10 ** 6), strict=False)
    if case["iou"] < 1.0 and "max_detections 6" not in name:
        assert len(loose) > len(exp), f"{name}: NMS removes nothing"
    if case["max_detections"] < len(loose):
        assert len(exp) == case["max_detections"], name
    if case["task"] == "segment":
        fw, fh = case["frame_size"]
        clipped = [d for d in exp if d["box"][0] < 0 or d["box"][1] < 0
                   or d["box"][0] + d["box"][2] > fw or d["box"][1] + d["box"][3] > fh]
        assert clipped, f"{name}: no box is clipped at the frame edge"
        assert all(sum(d["mask_rle"]) == d["mask_rect"][2] * d["mask_rect"][3] for d in exp)
        assert any(len(d["mask_rle"]) > 2 for d in exp), f"{name}: masks are trivial"
    if "class-wise" in name:
        by_class = {}
        for d in exp:
            by_class.setdefault(d["class_id"], []).append(d)
        overlap = any(iou(corner(p), corner(q)) > case["iou"] for p in by_class.get(0, [])
                      for q in by_class.get(1, []))
        assert overlap, f"{name}: no two classes overlap"


def corner(d):
    x, y, w, h = d["box"]
    return (x, y, x + w, y + h)


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for i, make in enumerate(CASES):
        case = make_case(i, make)
        check(case)
        path = os.path.join(out_dir, f"case_{i:02d}.json")
        with open(path + ".tmp", "w") as f:
            json.dump(case, f, separators=(",", ":"))
            f.write("\n")
        os.replace(path + ".tmp", path)
        n = len(case["expected"])
        print(f"{os.path.basename(path)}: {case['name']}: shape {case['shape']}, {n} detection"
              f"{'' if n == 1 else 's'} (draw {case['attempt']})")
    print(f"{len(CASES)} cases in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
