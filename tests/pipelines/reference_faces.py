# Python reference for the faces pipeline (/usr/bin/python3):
# 1. faces: BlazeFace (converted) on each frame, rows scoring >= 0.75, weighted NMS at
#    IoU 0.3 (MediaPipe's blending), boxes in source pixels;
# 2. emotions: for each face sluice found (its JSONL), the same crop (expand 1.2, square,
#    whole pixels, clamped), grey, 64x64, the emotion model.
#   reference_faces.py CLIP DETECTOR EMOTION SLUICE_JSONL OUT_JSON
import json
import math
import sys

import cv2
import numpy as np
import torch

torch.set_num_threads(2)
clip, detector_path, emotion_path, sluice_jsonl, out = sys.argv[1:6]
detector = torch.jit.load(detector_path).eval()
emotion = torch.jit.load(emotion_path).eval()
ours = [json.loads(line) for line in open(sluice_jsonl)]


def iou(a, b):
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def weighted_nms(faces, threshold=0.3):
    faces = sorted(faces, key=lambda f: -f["score"])
    done = [False] * len(faces)
    kept = []
    for i, best in enumerate(faces):
        if done[i]:
            continue
        done[i] = True
        cluster = [best]
        for j in range(i + 1, len(faces)):
            if not done[j] and iou(best["box"], faces[j]["box"]) > threshold:
                done[j] = True
                cluster.append(faces[j])
        total = sum(f["score"] for f in cluster)
        box = [sum(f["box"][k] * f["score"] for f in cluster) / total for k in range(4)]
        kept.append({"box": box, "score": best["score"]})
    return kept


frames = []
cap = cv2.VideoCapture(clip)
index = 0
while True:
    ok, bgr = cap.read()
    if not ok:
        break
    h, w = bgr.shape[:2]
    rgb = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (128, 128), interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None].copy())
    with torch.no_grad():
        rows = detector(x)[0].numpy()
    sx, sy = w / 128.0, h / 128.0
    faces = [{"box": [float(r[0] * sx), float(r[1] * sy), float((r[2] - r[0]) * sx), float((r[3] - r[1]) * sy)],
              "score": float(r[4])} for r in rows if r[4] >= 0.75]
    emotions = []
    for face in ours[index]["detections"]:
        b = face["box"]
        cx, cy = b["x"] + b["w"] / 2, b["y"] + b["h"] / 2
        bw, bh = b["w"] * 1.2, b["h"] * 1.2
        bw = bh = max(bw, bh)
        x0 = int(min(max(math.floor(cx - bw / 2), 0), w))
        x1 = int(min(max(math.ceil(cx + bw / 2), 0), w))
        y0 = int(min(max(math.floor(cy - bh / 2), 0), h))
        y1 = int(min(max(math.ceil(cy + bh / 2), 0), h))
        grey = cv2.resize(cv2.cvtColor(bgr[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), (64, 64),
                          interpolation=cv2.INTER_LINEAR)
        with torch.no_grad():
            p = emotion(torch.from_numpy(grey.astype(np.float32))[None, None])[0].numpy()
        emotions.append({"class_id": int(p.argmax()), "score": float(p.max())})
    frames.append({"faces": weighted_nms(faces), "emotions": emotions})
    index += 1
json.dump({"frames": frames}, open(out, "w"))
print(len(frames), "frames")
