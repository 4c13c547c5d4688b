# Writes the Fashion-MNIST test set as PNG files (00000.png ... 09999.png, in the set's
# order) and its labels as one number per line, for the classify pipeline.
#   /usr/bin/python3 fmnist_to_png.py FASHION_MNIST_DIR OUT_DIR [COUNT]
import gzip
import os
import sys

import cv2
import numpy as np

src, out = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
images = np.frombuffer(gzip.open(os.path.join(src, "t10k-images-idx3-ubyte.gz")).read(), np.uint8, offset=16)
labels = np.frombuffer(gzip.open(os.path.join(src, "t10k-labels-idx1-ubyte.gz")).read(), np.uint8, offset=8)
images = images.reshape(-1, 28, 28)[:count]
os.makedirs(out, exist_ok=True)
for i, image in enumerate(images):
    cv2.imwrite(os.path.join(out, f"{i:05d}.png"), image)
with open(os.path.join(out, "labels.txt"), "w") as f:
    f.write("\n".join(str(int(x)) for x in labels[:count]) + "\n")
print(len(images), "images written to", out)
