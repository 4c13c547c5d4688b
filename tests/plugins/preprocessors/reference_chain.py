"""The torchvision-style classification input, computed with cv2 and numpy: the reference
the C++ chain color_convert(RGB) -> resize(shorter_side) -> center_crop -> to_tensor is
compared with (parity_test.cpp).

    /usr/bin/python3 reference_chain.py IMAGE SHORTER_SIDE CROP OUT_PREFIX

Writes OUT_PREFIX.f32 (the [1, 3, CROP, CROP] float32 tensor, C order) and
OUT_PREFIX.json ({"shape", "resized": [w, h], "crop_origin": [left, top]}).
"""
import json
import sys

import cv2
import numpy as np

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float64)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float64)


def main():
    path, shorter, crop, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        sys.exit(f"cannot read {path}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    # torchvision.transforms.Resize(shorter): the shorter side becomes `shorter`, the
    # longer int(shorter * long / short) (torchvision's _compute_resized_output_size).
    h, w = rgb.shape[:2]
    if w <= h:
        new_w, new_h = shorter, int(shorter * h / w)
    else:
        new_w, new_h = int(shorter * w / h), shorter
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_LINEAR)

    # torchvision.transforms.CenterCrop(crop): top = int(round((H - crop) / 2.0)).
    top = int(round((new_h - crop) / 2.0))
    left = int(round((new_w - crop) / 2.0))
    cropped = resized[top:top + crop, left:left + crop]

    # ToTensor + Normalize, in float64 so the reference carries no float32 rounding.
    x = cropped.astype(np.float64) / 255.0
    x = (x - MEAN) / STD
    tensor = np.ascontiguousarray(x.transpose(2, 0, 1)[None]).astype(np.float32)

    tensor.tofile(out + ".f32")
    with open(out + ".json", "w") as f:
        json.dump({"shape": list(tensor.shape), "resized": [new_w, new_h],
                   "crop_origin": [left, top]}, f)


if __name__ == "__main__":
    main()
