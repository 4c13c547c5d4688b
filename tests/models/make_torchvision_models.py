"""Scripted torchvision detection and segmentation models with random weights, for the
C++ parity tests of sluice's torchvision support:

    /usr/bin/python3 tests/models/make_torchvision_models.py OUT_DIR

writes (torch.jit.script(model.eval()).save(...)):

  fasterrcnn_mobilenet_v3_large_320_fpn.pt  box_score_thresh=0, box_detections_per_img=20,
                                             50 RPN proposals (rpn_post_nms_top_n_test)
  ssdlite320_mobilenet_v3_large.pt           score_thresh=0, detections_per_img=20
  retinanet.pt                               retinanet_resnet50_fpn, min_size=max_size=320,
                                             score_thresh=0, detections_per_img=20
  maskrcnn_resnet50_fpn.pt                   min_size=max_size=320, box_score_thresh=0,
                                             box_detections_per_img=10, 50 RPN proposals
                                             (of the top 200 per level)
  deeplabv3_mobilenet_v3_large.pt            num_classes=21, aux_loss=False
  fcn_resnet50.pt                            num_classes=21, aux_loss=False

50 proposals instead of 150 / 1000: the R-CNN box head's first Linear (12544 x 1024 per
proposal) dominates their CPU time (Debian's libtorch multiplies with the reference BLAS).

Detection models take a List[Tensor] of CHW float32 RGB images in [0, 1] (any size; the
model's own transform normalizes, resizes and maps the boxes back) and return
(losses, detections): Dict[str, Tensor], List[Dict[str, Tensor]] with "boxes" [K, 4]
float32 (x1, y1, x2, y2 in input pixels), "labels" [K] int64, "scores" [K] float32 and,
for Mask R-CNN, "masks" [K, 1, H, W] float32 probabilities. Segmentation models take
[N, 3, H, W] and return {"out": [N, 21, H, W]} logits.

Weights: weights=None, weights_backbone=None, torch.manual_seed(SEED + i) before building
model i. Random weights alone give degenerate outputs (MobileNetV3's activations vanish
through the random network: every Faster R-CNN score is the same 1/91-ish value; the
RetinaNet head's std-0.01 convs make every anchor score the prior 0.0108 to within
1e-4), so, deterministically:

  1. BatchNorm recalibration: every BatchNorm's running mean/var is reset and re-estimated
     (momentum=None, i.e. a plain average over the batches, the module otherwise in eval
     mode) on 4 seeded synthetic images (smooth noise plus flat rectangles; 320 x 320 for
     detection, 160 x 160 for segmentation), with 2 torch threads,
     through the layers that have BatchNorm: the backbone (and SSD's head; the whole
     network for the segmentation models). The statistics are then rounded to 10 mantissa
     bits, so that most summation-order noise (other CPUs' kernels) does not reach the
     saved bytes. The original momentum is restored.
  2. Heads, with a torch.Generator seeded per model:
     - Faster / Mask R-CNN: the box head's fc6 and fc7 redrawn N(0, 2 / fan_in) (Kaiming;
       nn.Linear's default shrinks the RoI features ~2.5x per layer, so every RoI looks
       alike), box_predictor.cls_score.weight redrawn N(0, s^2), s = 0.05 (Faster) and
       0.02 (Mask), so the 91-way softmax is no longer ~uniform; then cls_score's bias
       (and Mask R-CNN's mask_fcn_logits bias) set to -weight . mean input over the
       calibration images' RoIs (center_logits), so the labels vary (one class won
       everywhere) and the masks fill ~25..80% of their boxes (not ~90%). Scores on the
       repo's photos: Faster ~0.07..0.9, Mask ~0.3..0.9, 3..13 labels an image.
     - RetinaNet: the head's tower convs redrawn N(0, 2 / fan_in) (Kaiming, instead of
       N(0, 0.01^2), under which the activations shrink ~2x per layer), cls_logits
       N(0, 0.002^2) with its prior bias -log(99) kept, bbox_reg N(0, 0.001^2): scores
       ~0.16..0.33 on the photos, 8 or 9 labels, boxes moved off the anchors.
     - SSDlite and the segmentation heads: as built (the recalibrated features already
       give spread scores, ~0.13..0.81, and class maps with 10..21 classes).
  The script checks every model on a synthetic image (distinct scores spanning more than
  0.01, boxes of different sizes, at least 1 px, inside the image, masks neither empty
  nor full in their boxes, at least 3 classes in a class map) and fails if one is
  degenerate.

Same bytes on every run: the script re-runs itself with PYTHONHASHSEED=0 (TorchScript
writes module constants in set order), and prints each file's sha256.
"""
import hashlib
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models import detection, segmentation
from torchvision.models.detection.ssd import SSD

SEED = 20240601


def synthetic_images(gen, n, h, w):
    """[n, 3, h, w] in [0, 1]: smooth colour noise, flat rectangles, a little pixel noise."""
    lo = torch.rand(n, 3, h // 40 + 2, w // 40 + 2, generator=gen)
    img = F.interpolate(lo, size=(h, w), mode="bilinear", align_corners=False)
    for i in range(n):
        for _ in range(6):
            x0 = int(torch.randint(0, w - 20, (1,), generator=gen))
            y0 = int(torch.randint(0, h - 20, (1,), generator=gen))
            rw = int(torch.randint(10, w // 2, (1,), generator=gen))
            rh = int(torch.randint(10, h // 2, (1,), generator=gen))
            img[i, :, y0:y0 + rh, x0:x0 + rw] = torch.rand(3, 1, 1, generator=gen)
    img += 0.05 * torch.randn(img.shape, generator=gen)
    return img.clamp_(0, 1)


def round_mantissa(t, bits=10):
    """float32 values rounded to `bits` mantissa bits (round half up on the magnitude)."""
    drop = 23 - bits
    i = t.contiguous().view(torch.int32)
    i = (i + (1 << (drop - 1))) & ~((1 << drop) - 1)
    return i.view(torch.float32)


def recalibrate_batchnorm(model, run, batches):
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [b.momentum for b in bns]
    model.eval()
    for b in bns:
        b.reset_running_stats()
        b.momentum = None
        b.train()
    with torch.no_grad():
        for batch in batches:
            run(model, batch)
        for b, mom in zip(bns, momenta):
            b.momentum = mom
            b.eval()
            b.running_mean.copy_(round_mantissa(b.running_mean))
            b.running_var.copy_(round_mantissa(b.running_var))
    return len(bns)


def run_detection_bn_layers(model, batch):
    images, _ = model.transform(list(batch))
    features = model.backbone(images.tensors)
    if isinstance(model, SSD):  # SSDlite's head has BatchNorm too
        model.head(list(features.values()))


def run_segmentation(model, batch):
    model(batch)


def normal_(tensor, std, gen):
    with torch.no_grad():
        tensor.copy_(torch.randn(tensor.shape, generator=gen) * std)


def kaiming_(layer, gen):
    fan_in = layer.weight[0].numel()
    normal_(layer.weight, (2.0 / fan_in) ** 0.5, gen)


def center_logits(model, layers, batches):
    """Sets each layer's bias to -weight . (its mean input over the batches' RoIs, and
    pixels for a convolution), the model run as it is: a logit then says how a RoI
    differs from the average one, not mostly which class's weights happen to align with
    the features' large mean (ReLU outputs are positive), which made one class win
    everywhere and Mask R-CNN's masks fill ~90% of every box."""
    inputs = {i: [] for i in range(len(layers))}
    hooks = [layer.register_forward_hook(lambda m, args, out, i=i: inputs[i].append(args[0]))
             for i, layer in enumerate(layers)]
    with torch.no_grad():
        for batch in batches:
            model(list(batch))
        for h in hooks:
            h.remove()
        for i, layer in enumerate(layers):
            x = torch.cat(inputs[i])
            mean = x.mean(dim=[0, 2, 3]) if x.dim() == 4 else x.mean(dim=0)
            layer.bias.copy_(round_mantissa(-(layer.weight.flatten(1) @ mean)))


def perturb_rcnn(cls_std):
    def perturb(model, gen, batches):
        kaiming_(model.roi_heads.box_head.fc6, gen)
        kaiming_(model.roi_heads.box_head.fc7, gen)
        normal_(model.roi_heads.box_predictor.cls_score.weight, cls_std, gen)
        layers = [model.roi_heads.box_predictor.cls_score]
        if model.roi_heads.mask_predictor is not None:
            layers.append(model.roi_heads.mask_predictor.mask_fcn_logits)
        center_logits(model, layers, batches)
    return perturb


def perturb_retinanet(model, gen, batches):
    for head in (model.head.classification_head, model.head.regression_head):
        for block in head.conv:
            kaiming_(block[0], gen)
    normal_(model.head.classification_head.cls_logits.weight, 0.002, gen)
    normal_(model.head.regression_head.bbox_reg.weight, 0.001, gen)


MODELS = [
    # file, kind, builder, perturbation
    ("fasterrcnn_mobilenet_v3_large_320_fpn.pt", "detection",
     lambda: detection.fasterrcnn_mobilenet_v3_large_320_fpn(
         weights=None, weights_backbone=None, box_score_thresh=0.0, box_detections_per_img=20,
         rpn_post_nms_top_n_test=50),
     perturb_rcnn(0.05)),
    ("ssdlite320_mobilenet_v3_large.pt", "detection",
     lambda: detection.ssdlite320_mobilenet_v3_large(
         weights=None, weights_backbone=None, score_thresh=0.0, detections_per_img=20),
     None),
    ("retinanet.pt", "detection",
     lambda: detection.retinanet_resnet50_fpn(
         weights=None, weights_backbone=None, min_size=320, max_size=320, score_thresh=0.0,
         detections_per_img=20),
     perturb_retinanet),
    ("maskrcnn_resnet50_fpn.pt", "detection",
     lambda: detection.maskrcnn_resnet50_fpn(
         weights=None, weights_backbone=None, min_size=320, max_size=320, box_score_thresh=0.0,
         box_detections_per_img=10, rpn_pre_nms_top_n_test=200, rpn_post_nms_top_n_test=50),
     perturb_rcnn(0.02)),
    ("deeplabv3_mobilenet_v3_large.pt", "segmentation",
     lambda: segmentation.deeplabv3_mobilenet_v3_large(
         weights=None, weights_backbone=None, num_classes=21, aux_loss=False),
     None),
    ("fcn_resnet50.pt", "segmentation",
     lambda: segmentation.fcn_resnet50(
         weights=None, weights_backbone=None, num_classes=21, aux_loss=False),
     None),
]


def check_detections(name, d, width, height):
    """Raises when the detections of one image look degenerate; returns a summary line."""
    boxes, scores, labels = d["boxes"], d["scores"], d["labels"]
    problems = []
    k = len(scores)
    if k < 5:
        problems.append(f"only {k} detections")
    s = scores.sort(descending=True).values
    min_gap = float((s[:-1] - s[1:]).min()) if k > 1 else 0.0
    if min_gap < 1e-6:
        problems.append(f"two scores within {min_gap:.2g}")
    if float(s[0] - s[-1]) < 0.01:
        problems.append(f"scores span only {float(s[0] - s[-1]):.3g}")
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    if float(w.min()) < 1 or float(h.min()) < 1:
        problems.append("a box under 1 px wide or high")
    if float(w.max() / w.min()) < 1.3 and float(h.max() / h.min()) < 1.3:
        problems.append("boxes all about the same size")
    if (boxes[:, 0] < 0).any() or (boxes[:, 1] < 0).any() or (boxes[:, 2] > width).any() \
            or (boxes[:, 3] > height).any():
        problems.append("a box outside the image")
    line = (f"{k} dets, scores {float(s[-1]):.3f}..{float(s[0]):.3f} (min gap {min_gap:.1e}), "
            f"{len(set(labels.tolist()))} labels, box w {float(w.min()):.0f}..{float(w.max()):.0f} "
            f"h {float(h.min()):.0f}..{float(h.max()):.0f}")
    if "masks" in d:
        fill = []
        for b, m in zip(boxes, d["masks"]):
            x0, y0 = max(0, int(b[0].floor())), max(0, int(b[1].floor()))
            x1, y1 = min(width, int(b[2].ceil())), min(height, int(b[3].ceil()))
            fill.append(float((m[0, y0:y1, x0:x1] >= 0.5).float().mean()))
        if min(fill) <= 0.0 or max(fill) >= 1.0:
            problems.append(f"a mask empty or full: box fill {min(fill):.2f}..{max(fill):.2f}")
        line += f", masks fill their boxes {min(fill):.2f}..{max(fill):.2f}"
    if problems:
        raise SystemExit(f"{name}: degenerate outputs: {'; '.join(problems)}")
    return line


def check_segmentation(name, out):
    counts = torch.bincount(out.argmax(1).flatten(), minlength=out.shape[1])
    present = int((counts > 0).sum())
    if present < 3 or float(counts.max()) > 0.9 * out.shape[2] * out.shape[3]:
        raise SystemExit(f"{name}: degenerate class map: {counts.tolist()}")
    return f"{present} of {out.shape[1]} classes in the argmax map, out {tuple(out.shape)}"


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    if os.environ.get("PYTHONHASHSEED") != "0":
        # TorchScript writes a module's constants in the order of a Python set of names:
        # without a fixed string hash, the code inside the .pt changes from run to run.
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    start = time.time()
    # A fixed count: the thread count picks the convolution kernels (with 1 thread,
    # 1x1 convolutions go through the BLAS), which changes the calibrated statistics in
    # the last bits; the rounding hides most such differences, not all.
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
          f"{torch.get_num_threads()} threads")
    # A 4:3 check image, a size none of the models resizes to, like the real ones
    # (segmentation models run at the input's size: they get a smaller one, to save time).
    check = synthetic_images(torch.Generator().manual_seed(SEED - 1), 1, 300, 400)[0]
    check_small = F.interpolate(check[None], size=(150, 200), mode="bilinear",
                                align_corners=False)
    for i, (name, kind, build, perturb) in enumerate(MODELS):
        t0 = time.time()
        torch.manual_seed(SEED + i)
        model = build().eval()
        gen = torch.Generator().manual_seed(SEED + 100 + i)
        # Detection models resize to 320 themselves; segmentation models run at the size
        # they get, and BatchNorm statistics hardly depend on it: 160 x 160 (FCN's dilated
        # ResNet-50 costs ~4x as much at 320 x 320).
        side = 320 if kind == "detection" else 160
        batches = [synthetic_images(gen, 4, side, side)]
        run = run_detection_bn_layers if kind == "detection" else run_segmentation
        nbn = recalibrate_batchnorm(model, run, batches)
        if perturb:
            perturb(model, gen, batches)
        t1 = time.time()
        with torch.no_grad():
            if kind == "detection":
                summary = check_detections(name, model([check])[0], check.shape[2], check.shape[1])
            else:
                summary = check_segmentation(name, model(check_small)["out"])
        t2 = time.time()
        scripted = torch.jit.script(model)
        path = os.path.join(out_dir, name)
        scripted.save(path)
        t3 = time.time()
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:16]
        size = os.path.getsize(path)
        print(f"{name}: {size / 2**20:.1f} MiB, sha256 {digest}, {nbn} BatchNorms recalibrated; "
              f"build+calibrate {t1 - t0:.1f}s, check {t2 - t1:.1f}s, script+save {t3 - t2:.1f}s")
        print(f"  {summary}")
    print(f"total {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
