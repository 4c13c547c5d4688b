#!/usr/bin/python3
"""Synthetic MOTChallenge sequences (ground truth + simulated detections).

Usage:
    /usr/bin/python3 scripts/mot_scenes.py OUT_DIR [--seed 1] [--miss 0.10] [--fp 0.05]
        [--jitter 2.0] [--frames 300] [--scenes crossing,occlusion,...]

writes, for each scene, OUT_DIR/<scene>/
    seqinfo.ini      MOTChallenge [Sequence]: name, imDir=img1, frameRate=25, seqLength,
                     imWidth=1280, imHeight=720, imExt=.jpg (no images are written)
    gt/gt.txt        frame,id,x,y,w,h,conf,class,visibility   (class always 1)
                     conf 1 / visibility 1.00 when visible; conf 0 / visibility 0.00
                     in the frames where the object is fully hidden (the box is still
                     written, where the object is, behind its occluder).  No partial
                     visibility is computed.
    det/det.txt      frame,-1,x,y,w,h,score,-1,-1,-1
    occlusions.json  [{"id", "hidden_from", "hidden_to"}]: the conf-0 runs of gt.txt,
                     frames inclusive ([] in scenes without scripted occlusions)
Rows are sorted by frame (gt then by id; det in a random order within a frame, so
the order does not give the identity away).  Any frame may have no row at all.
Everything is deterministic from --seed: the same arguments give byte-identical
files.  The geometry of a scene depends only on the seed and --frames, so changing
--miss/--fp/--jitter changes only det.txt.

Boxes are pedestrian-like: w 30..80 px, h = 2..3 w, x/y the top-left corner.
Boxes are clipped to the 1280x720 image; an object has a row only while at least
40% of its box area is inside the image.  Ids are 1..N within a scene (an id whose
path never gets far enough into the image has no row).

Scenes (what each one tests in a tracker):
  crossing      12 pairs of objects on straight lines at constant speed whose paths
                cross (head-on to 60 degrees), boxes overlapping heavily as they
                pass: identity must survive two similar boxes merging and parting.
  occlusion     a small "target" walks behind a big "occluder" (a closer pedestrian)
                and is fully hidden for k frames, k = 1..15 (every value occurs);
                during the hidden frames its box lies inside the occluder's box and
                it gets no detection (for small k the target also stays behind the
                occluder for a few more frames, but those are scripted visible and
                detected).  Each event lasts 61 frames, both objects appearing and
                vanishing mid-image, in a 3x3 grid of cells, 40 frames apart in a
                cell.  27 events at 300 frames (>= 20 needed for a
                90% id-kept rate to mean something): the tracker must coast through
                the gap and give the same id back (see mot_metrics.occlusion_id_kept).
  enter_leave   30 objects on straight lines entering through an image edge and
                leaving through another (some are already inside at frame 1, some
                still inside at the end), boxes clipped at the edges, rows ended
                when mostly out: track birth from partial boxes, and death without
                ghost tracks.
  speed_change  10 objects that accelerate, slow down, stop for a while and start again,
                and turn slowly, steering away from the edges: the motion model must
                not assume constant velocity.
  crowd         30 objects at once (w 30..50) random-walking, 20% standing still,
                all in view for the whole sequence, many overlaps: association under density.

Detections are simulated from the visible (conf 1) GT rows: each is missed with
probability --miss; the box centre and size get Gaussian noise of sigma --jitter px
(then clipped to the image); the score is uniform in 0.5..1.0, except for 30% of the
real detections which get 0.1..0.5 (so a two-stage tracker such as ByteTrack has
low-score true detections to use).  False positives: per frame,
Binomial(number of real detections, --fp) random pedestrian-sized boxes, placed
where their IoU with every GT box of that frame (hidden ones too) is < 0.3, scores
uniform in 0.1..0.6.  So the expected FP count is --fp times the real detections.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

WIDTH, HEIGHT = 1280, 720
FRAME_RATE = 25
MIN_INSIDE = 0.4  # fraction of the box area that must be in the image to have a row
SCENES = ['crossing', 'occlusion', 'enter_leave', 'speed_change', 'crowd']


class Obj:
    """One ground-truth object: full (unclipped) centre boxes per frame."""

    def __init__(self, obj_id, w, h):
        self.id = obj_id
        self.w = w
        self.h = h
        self.centres = {}   # frame -> (cx, cy)
        self.hidden = set()  # frames where it is fully hidden (conf 0)


def pedestrian_size(rng, w_lo=30.0, w_hi=80.0, ratio_lo=2.0, ratio_hi=3.0):
    w = rng.uniform(w_lo, w_hi)
    return w, w * rng.uniform(ratio_lo, ratio_hi)


# ---------------------------------------------------------------------------
# Scenes: each returns (objects, occlusions)
# ---------------------------------------------------------------------------

def scene_crossing(rng, n_frames):
    objects = []
    n_pairs = max(1, round(12 * n_frames / 300))
    for _ in range(n_pairs):
        cross = np.array([rng.uniform(250, WIDTH - 250), rng.uniform(200, HEIGHT - 200)])
        t_cross = int(rng.integers(1, n_frames + 1))
        half_life = int(rng.integers(40, 81))
        heading_a = rng.uniform(0, 2 * math.pi)
        turn = rng.uniform(math.pi / 3, math.pi) * rng.choice([-1, 1])
        for k, heading in enumerate((heading_a, heading_a + turn)):
            w, h = pedestrian_size(rng)
            obj = Obj(len(objects) + 1, w, h)
            speed = rng.uniform(1.5, 4.0)
            velocity = speed * np.array([math.cos(heading), math.sin(heading)])
            # The second object passes slightly above/below the first so the boxes
            # overlap strongly but are not identical.
            offset = np.array([0.0, rng.uniform(-0.2, 0.2) * h]) if k == 1 else np.zeros(2)
            for t in range(max(1, t_cross - half_life), min(n_frames, t_cross + half_life) + 1):
                c = cross + offset + velocity * (t - t_cross)
                obj.centres[t] = (c[0], c[1])
            objects.append(obj)
    return objects, []


def scene_occlusion(rng, n_frames):
    objects, occlusions = [], []
    rows_y = [120.0, 360.0, 600.0]                 # 3 bands of 240 px
    cols_x = [WIDTH / 6, WIDTH / 2, 5 * WIDTH / 6]  # 3 columns of 427 px
    # Frames per event, and between events in one cell: longer than a tracker keeps an
    # unseen track (30 frames is the usual default), so that the next pair, appearing
    # where the last vanished, is not taken for it (objects do not vanish mid-image in
    # real scenes; here they must, to fit many occlusions into one sequence).
    event_length, gap = 60, 40
    event = 0
    for y in rows_y:
        for x in cols_x:
            start = 1 + int(rng.integers(0, 20))
            while start + event_length <= n_frames:
                k = 1 + event % 15  # hidden frames; cycling makes every 1..15 occur
                event += 1
                ow, oh = pedestrian_size(rng, 70, 80, 2.6, 3.0)  # occluder, closer: big
                tw, th = pedestrian_size(rng, 30, 40, 2.0, 2.5)  # target, farther: small
                occluder = Obj(len(objects) + 1, ow, oh)
                target = Obj(len(objects) + 2, tw, th)
                f0 = start + event_length // 2 - (k - 1) // 2
                f1 = f0 + k - 1
                t_mid = (f0 + f1) / 2.0
                # Relative speed small enough that the target's box stays inside the
                # occluder's for all k hidden frames: |dx| <= v*(k-1)/2 < slack/2.
                slack = ow - tw
                v_rel = min(slack / (k + 1), 5.0)
                share = rng.uniform(0.0, 0.5)  # part of v_rel that is the occluder's
                direction = rng.choice([-1.0, 1.0])
                v_target = direction * (1 - share) * v_rel
                v_occluder = -direction * share * v_rel
                # Target's box within the occluder's vertically (its feet higher up:
                # it is farther away).
                ty = y - (oh - th) / 2 * rng.uniform(0.3, 0.9)
                for t in range(start, start + event_length + 1):
                    occluder.centres[t] = (x + v_occluder * (t - t_mid), y)
                    target.centres[t] = (x + v_target * (t - t_mid), ty)
                target.hidden = set(range(f0, f1 + 1))
                occlusions.append({'id': target.id, 'hidden_from': f0, 'hidden_to': f1})
                objects += [occluder, target]
                start += event_length + gap
    occlusions.sort(key=lambda o: (o['hidden_from'], o['id']))
    return objects, occlusions


def scene_enter_leave(rng, n_frames):
    objects = []
    n_objects = max(1, round(30 * n_frames / 300))
    for _ in range(n_objects):
        w, h = pedestrian_size(rng)
        obj = Obj(len(objects) + 1, w, h)
        # Enter through one edge, leave through another (adjacent edges give short
        # crossings, the opposite one long ones).
        edges = ['left', 'right', 'top', 'bottom']
        entry = int(rng.integers(0, 4))
        exit_ = (entry + int(rng.integers(1, 4))) % 4
        start = np.array(border_point(rng, edges[entry], w, h))
        goal = np.array(border_point(rng, edges[exit_], w, h))
        direction = goal - start
        velocity = rng.uniform(3.0, 6.0) * direction / np.linalg.norm(direction)
        # Starting times before frame 1 give objects already inside at frame 1.
        first = int(rng.integers(-60, max(-59, n_frames - 20)))
        for t in range(first, n_frames + 1):
            c = start + velocity * (t - first)
            obj.centres[t] = (c[0], c[1])
            if np.dot(c - goal, direction) > 0:
                break  # past the exit point: fully outside from now on
        objects.append(obj)
    return objects, []


def border_point(rng, edge, w, h):
    """A centre just outside the given image edge (the whole box outside)."""
    if edge == 'left':
        return -w / 2 - 2, rng.uniform(h / 2, HEIGHT - h / 2)
    if edge == 'right':
        return WIDTH + w / 2 + 2, rng.uniform(h / 2, HEIGHT - h / 2)
    if edge == 'top':
        return rng.uniform(w / 2, WIDTH - w / 2), -h / 2 - 2
    return rng.uniform(w / 2, WIDTH - w / 2), HEIGHT + h / 2 + 2


def steer_inside(cx, cy, heading, w, h, max_turn):
    """Turns the heading toward the image centre when near a border (at most
    max_turn radians per frame), so walkers turn slowly instead of bouncing."""
    margin = 120.0
    near = (cx < margin + w / 2 or cx > WIDTH - margin - w / 2 or
            cy < margin + h / 2 or cy > HEIGHT - margin - h / 2)
    if not near:
        return heading
    target = math.atan2(HEIGHT / 2 - cy, WIDTH / 2 - cx)
    diff = (target - heading + math.pi) % (2 * math.pi) - math.pi
    return heading + max(-max_turn, min(max_turn, diff))


def clamp_inside(cx, cy, w, h):
    return min(max(cx, w / 2), WIDTH - w / 2), min(max(cy, h / 2), HEIGHT - h / 2)


def scene_speed_change(rng, n_frames):
    objects = []
    for _ in range(10):
        w, h = pedestrian_size(rng)
        obj = Obj(len(objects) + 1, w, h)
        cx = rng.uniform(150 + w / 2, WIDTH - 150 - w / 2)
        cy = rng.uniform(min(150 + h / 2, HEIGHT / 2), max(HEIGHT - 150 - h / 2, HEIGHT / 2))
        heading = rng.uniform(0, 2 * math.pi)
        speed = rng.uniform(1.0, 3.0)
        mode, mode_end = 'cruise', 0
        target_speed, turn_rate, stop_frames = speed, 0.0, 0
        for t in range(1, n_frames + 1):
            if t >= mode_end:  # next manoeuvre
                mode = rng.choice(['cruise', 'accelerate', 'slow', 'stop', 'turn'])
                mode_end = t + int(rng.integers(15, 51))
                turn_rate = 0.0
                if mode == 'accelerate':
                    target_speed = rng.uniform(4.0, 7.0)
                elif mode == 'slow':
                    target_speed = rng.uniform(0.5, 1.5)
                elif mode == 'stop':
                    target_speed = 0.0
                    stop_frames = int(rng.integers(10, 31))
                    mode_end += stop_frames  # decelerate, stand, then pick again
                elif mode == 'turn':
                    turn_rate = math.radians(rng.uniform(1.0, 3.0)) * rng.choice([-1, 1])
                else:
                    target_speed = speed
                if mode != 'stop' and target_speed == 0.0:
                    target_speed = rng.uniform(1.0, 3.0)  # start again after a stop
            # Speed changes at a bounded rate: 0.15 px/frame^2 up, 0.3 down.
            if speed < target_speed:
                speed = min(target_speed, speed + 0.15)
            else:
                speed = max(target_speed, speed - 0.3)
            heading = steer_inside(cx, cy, heading + turn_rate, w, h, math.radians(4.0))
            cx, cy = clamp_inside(cx + speed * math.cos(heading), cy + speed * math.sin(heading), w, h)
            obj.centres[t] = (cx, cy)
        objects.append(obj)
    return objects, []


def scene_crowd(rng, n_frames):
    objects = []
    for _ in range(30):
        w, h = pedestrian_size(rng, 30, 50)  # the smaller half of the range: 30 must fit
        obj = Obj(len(objects) + 1, w, h)
        cx = rng.uniform(w / 2, WIDTH - w / 2)
        cy = rng.uniform(h / 2, HEIGHT - h / 2)
        heading = rng.uniform(0, 2 * math.pi)
        speed = 0.0 if rng.random() < 0.2 else rng.uniform(0.5, 2.5)
        for t in range(1, n_frames + 1):
            heading = steer_inside(cx, cy, heading + rng.normal(0, math.radians(2.0)), w, h,
                                   math.radians(5.0))
            cx, cy = clamp_inside(cx + speed * math.cos(heading), cy + speed * math.sin(heading), w, h)
            obj.centres[t] = (cx, cy)
        objects.append(obj)
    return objects, []


SCENE_FUNCTIONS = {
    'crossing': scene_crossing,
    'occlusion': scene_occlusion,
    'enter_leave': scene_enter_leave,
    'speed_change': scene_speed_change,
    'crowd': scene_crowd,
}


# ---------------------------------------------------------------------------
# Ground truth and detections
# ---------------------------------------------------------------------------

def clip_box(x, y, w, h):
    x0, y0 = max(0.0, x), max(0.0, y)
    x1, y1 = min(float(WIDTH), x + w), min(float(HEIGHT), y + h)
    return x0, y0, max(0.0, x1 - x0), max(0.0, y1 - y0)


def gt_rows(objects, n_frames):
    """(frame, id, x, y, w, h, conf, visibility) rows, boxes clipped and rounded
    to the 2 decimals written, sorted by frame then id."""
    rows = []
    for obj in objects:
        for t, (cx, cy) in obj.centres.items():
            if not 1 <= t <= n_frames:
                continue
            x, y, w, h = clip_box(cx - obj.w / 2, cy - obj.h / 2, obj.w, obj.h)
            if w * h < MIN_INSIDE * obj.w * obj.h:
                continue  # (mostly) outside the image
            visible = t not in obj.hidden
            rows.append((t, obj.id, round(x, 2), round(y, 2), round(w, 2), round(h, 2),
                         1 if visible else 0, 1.0 if visible else 0.0))
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def iou_one_to_many(box, boxes):
    if len(boxes) == 0:
        return np.zeros(0)
    b = np.asarray(boxes, dtype=float)
    ix = np.maximum(0, np.minimum(box[0] + box[2], b[:, 0] + b[:, 2]) - np.maximum(box[0], b[:, 0]))
    iy = np.maximum(0, np.minimum(box[1] + box[3], b[:, 1] + b[:, 3]) - np.maximum(box[1], b[:, 1]))
    inter = ix * iy
    return inter / (box[2] * box[3] + b[:, 2] * b[:, 3] - inter)


def detections(rng, rows, n_frames, miss, fp, jitter):
    """(frame, x, y, w, h, score) rows simulated from the GT rows (see docstring)."""
    by_frame = {t: [] for t in range(1, n_frames + 1)}
    for r in rows:
        by_frame[r[0]].append(r)
    out = []
    for t in range(1, n_frames + 1):
        frame_dets = []
        for r in by_frame[t]:
            if r[6] == 0:  # fully hidden: nothing to detect
                continue
            if rng.random() < miss:
                continue
            cx = r[2] + r[4] / 2 + rng.normal(0, jitter)
            cy = r[3] + r[5] / 2 + rng.normal(0, jitter)
            w = max(2.0, r[4] + rng.normal(0, jitter))
            h = max(2.0, r[5] + rng.normal(0, jitter))
            x, y, w, h = clip_box(cx - w / 2, cy - h / 2, w, h)
            if w < 1 or h < 1:
                continue  # jittered out of the image
            low = rng.random() < 0.3
            score = rng.uniform(0.1, 0.5) if low else rng.uniform(0.5, 1.0)
            frame_dets.append((x, y, w, h, score))
        gt_boxes = [r[2:6] for r in by_frame[t]]
        for _ in range(rng.binomial(len(frame_dets), fp) if frame_dets else 0):
            for _attempt in range(100):  # rejection sampling away from every GT box
                w, h = pedestrian_size(rng)
                box = (rng.uniform(0, WIDTH - w), rng.uniform(0, HEIGHT - h), w, h)
                if np.all(iou_one_to_many(box, gt_boxes) < 0.3):
                    frame_dets.append(box + (rng.uniform(0.1, 0.6),))
                    break
        for k in rng.permutation(len(frame_dets)):
            out.append((t,) + tuple(frame_dets[k]))
    return out


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def write_scene(out_dir, name, index, n_frames, seed, miss, fp, jitter):
    # Separate streams: geometry must not change when detection options do.
    geometry_rng = np.random.default_rng([seed, index, 0])
    detection_rng = np.random.default_rng([seed, index, 1])
    objects, occlusions = SCENE_FUNCTIONS[name](geometry_rng, n_frames)
    rows = gt_rows(objects, n_frames)
    dets = detections(detection_rng, rows, n_frames, miss, fp, jitter)

    scene_dir = os.path.join(out_dir, name)
    os.makedirs(os.path.join(scene_dir, 'gt'), exist_ok=True)
    os.makedirs(os.path.join(scene_dir, 'det'), exist_ok=True)
    with open(os.path.join(scene_dir, 'seqinfo.ini'), 'w') as f:
        f.write('[Sequence]\nname=%s\nimDir=img1\nframeRate=%d\nseqLength=%d\n'
                'imWidth=%d\nimHeight=%d\nimExt=.jpg\n'
                % (name, FRAME_RATE, n_frames, WIDTH, HEIGHT))
    with open(os.path.join(scene_dir, 'gt', 'gt.txt'), 'w') as f:
        for t, i, x, y, w, h, conf, vis in rows:
            f.write('%d,%d,%.2f,%.2f,%.2f,%.2f,%d,1,%.2f\n' % (t, i, x, y, w, h, conf, vis))
    with open(os.path.join(scene_dir, 'det', 'det.txt'), 'w') as f:
        for t, x, y, w, h, score in dets:
            f.write('%d,-1,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1\n' % (t, x, y, w, h, score))
    with open(os.path.join(scene_dir, 'occlusions.json'), 'w') as f:
        json.dump(occlusions, f, indent=1)
        f.write('\n')
    return {'objects': len(objects), 'gt_rows': len(rows), 'detections': len(dets),
            'occlusions': len(occlusions)}


def main(argv=None):
    parser = argparse.ArgumentParser(description='Writes synthetic MOTChallenge sequences.')
    parser.add_argument('out_dir')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--miss', type=float, default=0.10, help='probability a visible object is not detected')
    parser.add_argument('--fp', type=float, default=0.05, help='false positives per real detection')
    parser.add_argument('--jitter', type=float, default=2.0, help='sigma (px) of box centre/size noise')
    parser.add_argument('--frames', type=int, default=300, help='seqLength of every scene')
    parser.add_argument('--scenes', default=','.join(SCENES), help='comma-separated subset of ' + ','.join(SCENES))
    args = parser.parse_args(argv)
    scenes = [s for s in args.scenes.split(',') if s]
    for s in scenes:
        if s not in SCENE_FUNCTIONS:
            parser.error('unknown scene %r (known: %s)' % (s, ', '.join(SCENES)))
    if not 0 <= args.miss <= 1 or args.fp < 0 or args.jitter < 0 or args.frames < 1:
        parser.error('need 0 <= --miss <= 1, --fp >= 0, --jitter >= 0, --frames >= 1')
    for s in scenes:
        info = write_scene(args.out_dir, s, SCENES.index(s), args.frames, args.seed,
                           args.miss, args.fp, args.jitter)
        print('%s: %d objects, %d gt rows, %d detections, %d occlusions'
              % (s, info['objects'], info['gt_rows'], info['detections'], info['occlusions']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
