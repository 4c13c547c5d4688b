"""Python reference results of every converted model on the real test media, for the C++
pipelines to be compared with: the first frames of vtest.avi (decoded by cv2) and
dog.jpg, horses.jpg, person.jpg, astronaut.png, messi5.jpg, each preprocessed as
model_specs.to_input does it (colour conversion, cv2.resize INTER_LINEAR straight to the
model's size, NCHW float32 pixels 0..255). Writes OUT_JSON and prints a summary.

    /usr/bin/python3 tests/models/reference_outputs.py ASSETS_DIR OUT_JSON [--frames 3]

Per model:
- centernet_mbv3_coco512: detections scoring over 0.3 as the model gives them (its
  own peak NMS only), boxes mapped to source pixels (x * W/512, y * H/512);
- blazeface_front128 / back256: anchors scoring over 0.5, then greedy NMS at IoU 0.3,
  boxes and 6 keypoints in source pixels;
- selfie_seg256: fraction of the 256x256 mask over 0.5, and its mean;
- emotion_fer7_64gray: the 7 probabilities for each face blazeface_back256 finds in the
  still images, cropped from the source as crop_detections (expand 1, not square) does,
  then grey (cv2.COLOR_BGR2GRAY) and resized to 64x64;
- faceres_224: P(male), the age (see faceres()) and the descriptor's norm for each face
  blazeface_back256 finds in the still images, cropped as crop_detections (expand 1.4,
  square) does, RGB, resized to 224x224;
- movenet_lightning_192: the 17 keypoints (x, y in source pixels: x * W/192, y * H/192;
  score), the input resized straight to 192x192 like the other models;
- fmnist_cnn: accuracy on the whole test set, and the first 20 predictions.
Every result also has `raw`: the output's shape, sum and max |value|.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_specs  # noqa: E402

CENTERNET_THRESHOLD = 0.3
FACE_THRESHOLD, FACE_IOU = 0.5, 0.3
KEYPOINTS = ["right_eye", "left_eye", "nose_tip", "mouth_centre", "right_ear", "left_ear"]


def r(v, nd=3):
    return [r(x, nd) for x in v] if isinstance(v, (list, tuple, np.ndarray)) else round(float(v), nd)


def raw(t):
    t = t.double()
    return {"shape": list(t.shape), "sum": round(float(t.sum()), 4), "abs_max": round(float(t.abs().max()), 5)}


def labels(assets, name):
    return open(os.path.join(assets, "models", name)).read().splitlines()


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms(rows, threshold):
    """Greedy NMS of rows [x1, y1, x2, y2, score, ...], highest score first."""
    keep = []
    for row in sorted(rows, key=lambda d: -d[4]):
        if all(iou(row, k) <= threshold for k in keep):
            keep.append(row)
    return keep


def crop_rect(box, width, height, expand=1.0, square=False):
    """crop_detections' crop: the box grown about its centre, widened to whole pixels,
    clamped to the frame. -> (x0, y0, x1, y1)."""
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    w, h = (x2 - x1) * expand, (y2 - y1) * expand
    if square:
        w = h = max(w, h)
    clamp = lambda v, hi: int(min(max(v, 0.0), hi))  # noqa: E731
    return (clamp(math.floor(cx - w / 2), width), clamp(math.floor(cy - h / 2), height),
            clamp(math.ceil(cx + w / 2), width), clamp(math.ceil(cy + h / 2), height))


def run(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)[None])


def centernet(model, sources, coco):
    out = {}
    for label, bgr in sources:
        h, w = bgr.shape[:2]
        d = run(model, model_specs.to_input(bgr, model_specs.MODELS["centernet_mbv3_coco512.pt"]))
        dets = []
        for x1, y1, x2, y2, score, cls in d[0].tolist():
            if score > CENTERNET_THRESHOLD:
                dets.append({"label": coco[int(cls)], "class": int(cls), "score": r(score, 4),
                             "box": r([x1 * w / 512, y1 * h / 512, x2 * w / 512, y2 * h / 512], 1),
                             "box_model": r([x1, y1, x2, y2], 2)})
        out[label] = {"size": [w, h], "detections": dets, "raw": raw(d)}
    return out


def blazeface(model, name, size, sources):
    out = {}
    for label, bgr in sources:
        h, w = bgr.shape[:2]
        d = run(model, model_specs.to_input(bgr, model_specs.MODELS[name]))[0]
        rows = [row for row in d.tolist() if row[4] > FACE_THRESHOLD]
        faces = []
        for row in nms(rows, FACE_IOU):
            sx, sy = w / size, h / size
            kps = {k: r([row[6 + 2 * j] * sx, row[7 + 2 * j] * sy], 1) for j, k in enumerate(KEYPOINTS)}
            faces.append({"score": r(row[4], 4), "box": r([row[0] * sx, row[1] * sy, row[2] * sx, row[3] * sy], 1),
                          "box_model": r(row[:4], 2), "keypoints": kps})
        out[label] = {"size": [w, h], "anchors_over_threshold": len(rows), "faces": faces, "raw": raw(d[None])}
    return out


def selfie(model, sources):
    out = {}
    for label, bgr in sources:
        m = run(model, model_specs.to_input(bgr, model_specs.MODELS["selfie_seg256.pt"]))
        out[label] = {"person_fraction": r(float((m > 0.5).double().mean()), 4),
                      "mean_probability": r(float(m.double().mean()), 4), "raw": raw(m)}
    return out


def emotion(model, faces_by_image, images, names):
    out = {}
    for label, bgr in images:
        for i, face in enumerate(faces_by_image.get(label, {}).get("faces", [])):
            h, w = bgr.shape[:2]
            x0, y0, x1, y1 = crop_rect(face["box"], w, h)
            if x1 <= x0 or y1 <= y0:
                continue
            p = run(model, model_specs.to_input(bgr[y0:y1, x0:x1], model_specs.MODELS["emotion_fer7_64gray.pt"]))[0]
            top = int(p.argmax())
            out[f"{label} face {i}"] = {"crop": [x0, y0, x1, y1], "top": names[top], "top_probability": r(p[top], 4),
                                        "probabilities": dict(zip(names, r(p.tolist(), 5))), "raw": raw(p[None])}
    return out


FACE_CROP_EXPAND = 1.4  # Human's face crop: the detector's box grown 1.4x, square


def faceres(model, faces_by_image, images):
    """age_argmax: the most probable 1-year bin (Human's estimate is within 5 years of it);
    age_top2: 1 + the two most probable bins' mean weighted by their probabilities (the
    model authors' facial_analysis.py)."""
    out = {}
    for label, bgr in images:
        for i, face in enumerate(faces_by_image.get(label, {}).get("faces", [])):
            h, w = bgr.shape[:2]
            x0, y0, x1, y1 = crop_rect(face["box"], w, h, FACE_CROP_EXPAND, square=True)
            if x1 <= x0 or y1 <= y0:
                continue
            male, bins, desc = run(model, model_specs.to_input(bgr[y0:y1, x0:x1], model_specs.MODELS["faceres_224.pt"]))
            p = bins[0].double()
            top = torch.argsort(p, descending=True)[:2]
            age_top2 = 1 + float((top.double() * p[top]).sum() / p[top].sum())
            out[f"{label} face {i}"] = {"crop": [x0, y0, x1, y1], "p_male": r(male[0, 0], 4),
                                        "age_argmax": int(p.argmax()), "age_top2": r(age_top2, 2),
                                        "descriptor_norm": r(float(desc.double().norm()), 4),
                                        "raw": {"gender": raw(male), "age_bins": raw(bins), "descriptor": raw(desc)}}
    return out


def movenet(model, sources, names):
    out = {}
    for label, bgr in sources:
        h, w = bgr.shape[:2]
        k = run(model, model_specs.to_input(bgr, model_specs.MODELS["movenet_lightning_192.pt"]))
        out[label] = {"size": [w, h], "raw": raw(k),
                      "keypoints": {n: r([x * w / 192, y * h / 192, sc], 3) for n, (x, y, sc) in zip(names, k[0].tolist())}}
    return out


def fmnist(model, assets, names):
    x, y = model_specs.fmnist_test(assets)
    with torch.no_grad():
        logits = torch.cat([model(torch.from_numpy(x[i:i + 1000].astype(np.float32))) for i in range(0, len(x), 1000)])
    pred = logits.argmax(1).numpy()
    result = {"test_images": len(x), "correct": int((pred == y).sum()), "accuracy": r((pred == y).mean(), 4),
              "first_20_predictions": [names[int(p)] for p in pred[:20]],
              "first_20_labels": [names[int(v)] for v in y[:20]], "raw_first_8": raw(logits[:8])}
    ref = os.path.join(assets, "models", "fmnist_reference.json")
    if os.path.exists(ref):
        result["training_reference_accuracy"] = json.load(open(ref))["accuracy"]
    return result


def summary(results):
    lines = []
    for label, v in results.get("centernet_mbv3_coco512.pt", {}).items():
        dets = ", ".join(f"{d['label']} {d['score']:.2f} {[int(c) for c in d['box']]}" for d in v["detections"])
        lines.append(f"centernet  {label:14} {dets or '-'}")
    for name in ("blazeface_front128.pt", "blazeface_back256.pt"):
        for label, v in results.get(name, {}).items():
            faces = ", ".join(f"{f['score']:.2f} {[int(c) for c in f['box']]}" for f in v["faces"])
            lines.append(f"{name[:-3]:18} {label:14} {faces or '-'}")
    for label, v in results.get("selfie_seg256.pt", {}).items():
        lines.append(f"selfie     {label:14} person fraction {v['person_fraction']:.3f}, mean {v['mean_probability']:.3f}")
    for label, v in results.get("emotion_fer7_64gray.pt", {}).items():
        lines.append(f"emotion    {label:20} {v['top']} {v['top_probability']:.3f} crop {v['crop']}")
    for label, v in results.get("faceres_224.pt", {}).items():
        lines.append(f"faceres    {label:20} P(male) {v['p_male']:.3f} age {v['age_top2']:.1f} crop {v['crop']}")
    for label, v in results.get("movenet_lightning_192.pt", {}).items():
        good = [f"{n} {[int(c) for c in k[:2]]}" for n, k in v["keypoints"].items() if k[2] > 0.3]
        lines.append(f"movenet    {label:14} {len(good)} keypoints over 0.3: {', '.join(good[:4])}{' ...' if len(good) > 4 else ''}")
    f = results.get("fmnist_cnn.pt")
    if f:
        lines.append(f"fmnist     accuracy {f['accuracy']:.4f} ({f['correct']}/{f['test_images']}); "
                     f"first predictions {f['first_20_predictions'][:5]}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("assets")
    ap.add_argument("out_json")
    ap.add_argument("--frames", type=int, default=3, help="first frames of vtest.avi to run")
    args = ap.parse_args()
    A = args.assets
    torch.set_num_threads(1)  # single runs: the same result whatever the machine
    media = os.path.join(A, "media")
    frames = [(f"{model_specs.VIDEO}#{i}", f) for i, f in
              enumerate(model_specs.video_frames(os.path.join(media, model_specs.VIDEO), args.frames))]
    images = [(f, model_specs.read_image(os.path.join(media, f))) for f in model_specs.IMAGES]
    sources = frames + images
    load = lambda n: torch.jit.load(os.path.join(A, "models", n)).eval()  # noqa: E731
    results = {
        "centernet_mbv3_coco512.pt": centernet(load("centernet_mbv3_coco512.pt"), sources,
                                               labels(A, "coco80_labels.txt")),
        "blazeface_front128.pt": blazeface(load("blazeface_front128.pt"), "blazeface_front128.pt", 128, sources),
        "blazeface_back256.pt": blazeface(load("blazeface_back256.pt"), "blazeface_back256.pt", 256, sources),
        "selfie_seg256.pt": selfie(load("selfie_seg256.pt"), sources),
    }
    results["emotion_fer7_64gray.pt"] = emotion(load("emotion_fer7_64gray.pt"), results["blazeface_back256.pt"],
                                                images, labels(A, "emotion_fer7_labels.txt"))
    results["faceres_224.pt"] = faceres(load("faceres_224.pt"), results["blazeface_back256.pt"], images)
    results["movenet_lightning_192.pt"] = movenet(load("movenet_lightning_192.pt"), sources,
                                                  labels(A, "movenet_keypoints17.txt"))
    results["fmnist_cnn.pt"] = fmnist(load("fmnist_cnn.pt"), A, labels(A, "fmnist_labels.txt"))
    doc = {
        "torch": torch.__version__,
        "preprocessing": {
            "colour models": "BGR frame -> RGB -> cv2.resize to the model's size (INTER_LINEAR, aspect not "
                             "kept) -> [1, 3, S, S] float32 pixels 0..255",
            "emotion": "face box from blazeface_back256 -> crop as crop_detections(expand 1, square false) -> "
                       "cv2.COLOR_BGR2GRAY -> cv2.resize 64x64 INTER_LINEAR -> [1, 1, 64, 64] float32 0..255",
            "faceres": "face box from blazeface_back256 -> crop as crop_detections(expand 1.4, square true) -> "
                       "RGB -> cv2.resize 224x224 INTER_LINEAR -> [1, 3, 224, 224] float32 0..255",
            "fmnist": "test set images as stored, [N, 1, 28, 28] float32 0..255",
            "video": f"first {args.frames} frames of {model_specs.VIDEO}, as cv2.VideoCapture decodes them",
            "thresholds": {"centernet_score": CENTERNET_THRESHOLD, "face_score": FACE_THRESHOLD,
                           "face_nms_iou": FACE_IOU},
        },
        "models": results,
    }
    tmp = args.out_json + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.out_json)
    print(summary(results))
    print(f"reference_outputs: wrote {args.out_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
