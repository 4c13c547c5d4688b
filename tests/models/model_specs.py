"""What the converted models take and return, and the reference preprocessing (cv2 and
numpy only, as the C++ nodes do it): shared by check_batch_invariance.py and
reference_outputs.py. scripts/models/README.md documents the same conventions.

Every model takes NCHW float32 pixels 0..255 (uint8 works too), any batch size:
  colour models: color_convert(to = "RGB") -> resize(size = [S, S], linear) -> to_tensor
  grey models:   color_convert(to = "GRAY") -> resize -> to_tensor
"""
import gzip
import os

import cv2
import numpy as np

# name: (channels, height, width, colour) of the input.
MODELS = {
    "blazeface_front128.pt": (3, 128, 128, "RGB"),
    "blazeface_back256.pt": (3, 256, 256, "RGB"),
    "centernet_mbv3_coco512.pt": (3, 512, 512, "RGB"),
    "centernet_yolov8_layout512.pt": (3, 512, 512, "RGB"),  # CenterNet in YOLO layouts
    "centernet_yolov5_layout512.pt": (3, 512, 512, "RGB"),  # (scripts/models/yolo_layouts.py)
    "emotion_fer7_64gray.pt": (1, 64, 64, "GRAY"),
    "selfie_seg256.pt": (3, 256, 256, "RGB"),
    "faceres_224.pt": (3, 224, 224, "RGB"),  # a face crop (here: whole frames, for the batch check)
    "movenet_lightning_192.pt": (3, 192, 192, "RGB"),
    "fmnist_cnn.pt": (1, 28, 28, "GRAY"),
}
# name: the shape of each output for one input (the batch dimension left out).
OUTPUTS = {
    "blazeface_front128.pt": [(896, 18)],  # x1, y1, x2, y2, score, class, 6 keypoints (x, y)
    "blazeface_back256.pt": [(896, 18)],
    "centernet_mbv3_coco512.pt": [(100, 6)],  # x1, y1, x2, y2, score, class
    "centernet_yolov8_layout512.pt": [(84, 100)],  # rows cx, cy, w, h, 80 class scores
    "centernet_yolov5_layout512.pt": [(100, 85)],  # cx, cy, w, h, objectness, 80 class scores
    "emotion_fer7_64gray.pt": [(7,)],  # probabilities
    "selfie_seg256.pt": [(1, 256, 256)],  # person probability
    "faceres_224.pt": [(1,), (100,), (1024,)],  # (P(male), age-bin probabilities, descriptor)
    "movenet_lightning_192.pt": [(17, 3)],  # per keypoint x, y (input pixels), score
    "fmnist_cnn.pt": [(10,)],  # logits
}
IMAGES = ["dog.jpg", "horses.jpg", "person.jpg", "astronaut.png", "messi5.jpg"]
VIDEO = "vtest.avi"


def read_image(path):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read {path}")
    return bgr


def video_frames(path, count):
    """The first `count` frames of a video, BGR, as cv2 decodes them."""
    cap = cv2.VideoCapture(path)
    frames = []
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if len(frames) < count:
        raise RuntimeError(f"{path}: read {len(frames)} frames, expected {count}")
    return frames


def to_input(bgr, spec):
    """A BGR uint8 image -> the model's [C, H, W] float32 input (pixels 0..255): colour
    conversion, then cv2.resize (INTER_LINEAR) straight to the model's size."""
    c, h, w, colour = spec
    img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB if colour == "RGB" else cv2.COLOR_BGR2GRAY)
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    if img.ndim == 2:
        img = img[:, :, None]
    return np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32)


def fmnist_test(assets, count=None):
    """(images [N, 1, 28, 28] uint8, labels [N]) of the Fashion-MNIST test set in ASSETS."""
    d = os.path.join(assets, "fashion-mnist")
    x = np.frombuffer(gzip.open(os.path.join(d, "t10k-images-idx3-ubyte.gz")).read(), np.uint8, offset=16)
    y = np.frombuffer(gzip.open(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).read(), np.uint8, offset=8)
    x = x.reshape(-1, 1, 28, 28)
    return (x[:count], y[:count]) if count else (x, y)


def sample_inputs(assets, name, frames=3):
    """Real inputs for a model: the first video frames and the still images (image
    models), or the first test images (Fashion-MNIST). -> (labels, [N, C, H, W] float32)."""
    spec = MODELS[name]
    if name == "fmnist_cnn.pt":
        x, _ = fmnist_test(assets, 8)
        return [f"t10k[{i}]" for i in range(len(x))], x.astype(np.float32)
    media = os.path.join(assets, "media")
    sources = [(f"{VIDEO}#{i}", f) for i, f in enumerate(video_frames(os.path.join(media, VIDEO), frames))]
    sources += [(f, read_image(os.path.join(media, f))) for f in IMAGES]
    return [s for s, _ in sources], np.stack([to_input(img, spec) for _, img in sources])
