# Python references for the pipeline tests, computed the way a user would with PyTorch:
# cv2 decode -> RGB -> resize -> NCHW float tensor -> forward under no_grad.
#   /usr/bin/python3 reference.py detect CLIP MODEL OUT_JSON   (CenterNet, scores > 0.3)
#   /usr/bin/python3 reference.py segment CLIP MODEL OUT_JSON  (selfie: pixels >= 0.5)
import json
import sys

import cv2
import numpy as np
import torch

torch.set_num_threads(2)
task, clip, model_path, out = sys.argv[1:5]
model = torch.jit.load(model_path).eval()
size = 512 if task == "detect" else 256
cap = cv2.VideoCapture(clip)
frames = []
while True:
    ok, bgr = cap.read()
    if not ok:
        break
    h, w = bgr.shape[:2]
    rgb = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (size, size), interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None].copy())
    with torch.no_grad():
        y = model(x)
    if task == "detect":
        sx, sy = w / size, h / size
        dets = [{"box": [float(a * sx), float(b * sy), float(c * sx), float(d * sy)], "score": float(s),
                 "class_id": int(k)} for a, b, c, d, s, k in y[0].numpy().tolist() if s > 0.3]
        frames.append({"detections": dets})
    else:
        p = y[0, 0].numpy()
        # The person mask as COCO's uncompressed RLE (column-major runs, starting outside),
        # as jsonl_sink writes it with mask_rle = true.
        bits = (p >= 0.5).T.reshape(-1)
        edges = np.flatnonzero(np.diff(bits.astype(np.int8))) + 1
        runs = np.diff(np.concatenate([[0], edges, [bits.size]])).tolist()
        if bits.size and bits[0]:
            runs = [0] + runs
        frames.append({"person_pixels": int(bits.sum()), "pixels": int(p.size),
                       "person_rle": {"size": list(p.shape), "counts": runs}})
json.dump({"frames": frames}, open(out, "w"))
print(task, len(frames), "frames")
