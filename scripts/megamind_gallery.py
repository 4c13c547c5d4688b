"""A labelled face gallery and per-frame ground truth for Megamind.avi (OpenCV's sample clip).

The clip shows two characters in four shots: Roxanne, then Bernard (Megamind in disguise),
then each again. The ground truth was made by eye, frame by frame over the whole clip, and
is checked here against the video itself: the three cuts must be exactly where consecutive
frames differ most (mean absolute difference of grey frames), so a different file fails
instead of giving wrong labels.

    /usr/bin/python3 scripts/megamind_gallery.py OUT [--video assets/media/Megamind.avi]

writes OUT/roxanne/megamind_020.png and OUT/bernard/megamind_130.png (one frame of each
character's first shot: the gallery), and OUT/truth.json:
    {"video": ..., "frames": 270, "shots": [{"first": 0, "last": 97, "label": "roxanne"}, ...],
     "gallery": [{"frame": 20, "label": "roxanne", "path": ...}, ...]}
"""
import argparse
import json
import os
import sys

import cv2
import numpy as np

# first frame of each shot, and who it shows
SHOTS = [(0, "roxanne"), (98, "bernard"), (154, "roxanne"), (200, "bernard")]
GALLERY = [(20, "roxanne"), (130, "bernard")]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--video", default=os.path.join(here, "..", "assets", "media", "Megamind.avi"))
    args = ap.parse_args()

    cap = cv2.VideoCapture(args.video)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    if len(frames) != 270:
        sys.exit(f"{args.video}: {len(frames)} frames, not the 270 of Megamind.avi")
    grey = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY).astype(np.float32) for f in frames]
    change = [float(np.abs(grey[i] - grey[i - 1]).mean()) for i in range(1, len(grey))]
    cuts = sorted(int(i) + 1 for i in np.argsort(change)[-3:])
    if cuts != [first for first, _ in SHOTS[1:]]:
        sys.exit(f"{args.video}: the cuts are at frames {cuts}, not {[s for s, _ in SHOTS[1:]]}")

    shots = []
    for k, (first, label) in enumerate(SHOTS):
        last = (SHOTS[k + 1][0] if k + 1 < len(SHOTS) else len(frames)) - 1
        shots.append({"first": first, "last": last, "label": label})
    gallery = []
    for index, label in GALLERY:
        os.makedirs(os.path.join(args.out, label), exist_ok=True)
        path = os.path.join(args.out, label, f"megamind_{index:03d}.png")
        cv2.imwrite(path, frames[index])
        gallery.append({"frame": index, "label": label, "path": path})
    with open(os.path.join(args.out, "truth.json"), "w") as f:
        json.dump({"video": args.video, "frames": len(frames), "shots": shots,
                   "gallery": gallery}, f, indent=1)
    print(f"{len(gallery)} gallery images and truth.json in {args.out}")


if __name__ == "__main__":
    main()
