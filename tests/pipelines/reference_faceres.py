# The Python reference for FaceRes's attributes, as a user would compute them with PyTorch:
# cv2 decode -> RGB -> resize to 224 -> NCHW float -> (P(male), age bins, descriptor) ->
# P(male) as it is, age as the expected value over the 100 one-year bins, the descriptor
# scaled to unit length (as the embedding node does).
#   /usr/bin/python3 reference_faceres.py MODEL OUT_JSON IMAGE...
import json
import sys

import cv2
import numpy as np
import torch

torch.set_num_threads(2)
model_path, out = sys.argv[1:3]
model = torch.jit.load(model_path).eval()
faces = []
for path in sys.argv[3:]:
    rgb = cv2.resize(cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB), (224, 224),
                     interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None].copy())
    with torch.no_grad():
        male, bins, descriptor = model(x)
    p = bins[0].double().numpy()
    d = descriptor[0].double().numpy().ravel()
    faces.append({"path": path, "male": float(male[0, 0]),
                  "age": float((p * np.arange(p.size)).sum() / p.sum()),
                  "descriptor": (d / np.linalg.norm(d)).tolist()})
json.dump({"faces": faces}, open(out, "w"))
print(len(faces), "faces")
