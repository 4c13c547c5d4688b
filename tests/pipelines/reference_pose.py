# The Python reference for pipelines/pose.toml, as a user would write it with PyTorch: cv2
# decode -> RGB -> letterbox to 192 (YOLO's rounding, centred, black) -> NCHW float ->
# MoveNet -> keypoints mapped back to the photo.
#   /usr/bin/python3 reference_pose.py MODEL OUT_JSON IMAGE...
import json
import sys

import cv2
import numpy as np
import torch

torch.set_num_threads(2)
model_path, out = sys.argv[1:3]
model = torch.jit.load(model_path).eval()
images = []
for path in sys.argv[3:]:
    rgb = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    s = min(192 / w, 192 / h)
    sw, sh = min(max(round(w * s), 1), 192), min(max(round(h * s), 1), 192)
    left, top = (192 - sw) // 2, (192 - sh) // 2
    canvas = np.zeros((192, 192, 3), np.uint8)
    canvas[top:top + sh, left:left + sw] = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(canvas.astype(np.float32).transpose(2, 0, 1)[None].copy())
    with torch.no_grad():
        k = model(x)[0].numpy()  # [17, 3]: x, y, score in input pixels
    points = [[float((px - left) * w / sw), float((py - top) * h / sh), float(sc)] for px, py, sc in k]
    images.append({"path": path, "keypoints": points})
json.dump({"images": images}, open(out, "w"))
print(len(images), "images")
