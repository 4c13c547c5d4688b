# Writes the Fashion-MNIST test set as PNG files (00000.png ... 09999.png, in the set's
# order) and its labels as one number per line, for the classify pipeline. With
# --predictions MODEL it also writes predictions.txt: the model's class for each picture,
# computed by Python on the same pixels, and the margin between its two best logits (a
# near tie may fall either way between two runtimes).
#   /usr/bin/python3 fmnist_to_png.py FASHION_MNIST_DIR OUT_DIR [COUNT] [--predictions MODEL]
import gzip
import os
import sys

import cv2
import numpy as np

args = sys.argv[1:]
model_path = None
if "--predictions" in args:
    at = args.index("--predictions")
    model_path = args[at + 1]
    del args[at:at + 2]
src, out = args[0], args[1]
count = int(args[2]) if len(args) > 2 else 10000
images = np.frombuffer(gzip.open(os.path.join(src, "t10k-images-idx3-ubyte.gz")).read(), np.uint8, offset=16)
labels = np.frombuffer(gzip.open(os.path.join(src, "t10k-labels-idx1-ubyte.gz")).read(), np.uint8, offset=8)
images = images.reshape(-1, 28, 28)[:count]
os.makedirs(out, exist_ok=True)
for i, image in enumerate(images):
    cv2.imwrite(os.path.join(out, f"{i:05d}.png"), image)
with open(os.path.join(out, "labels.txt"), "w") as f:
    f.write("\n".join(str(int(x)) for x in labels[:count]) + "\n")
print(len(images), "images written to", out)
if model_path:
    import torch

    torch.set_num_threads(2)
    model = torch.jit.load(model_path).eval()
    with torch.no_grad(), open(os.path.join(out, "predictions.txt"), "w") as f:
        for start in range(0, len(images), 500):
            x = torch.from_numpy(images[start:start + 500].astype(np.float32))[:, None]
            top = model(x).topk(2, dim=1)
            for (c, _), (a, b) in zip(top.indices.tolist(), top.values.tolist()):
                f.write(f"{c} {a - b:.6g}\n")
    print("predictions written by", model_path)
