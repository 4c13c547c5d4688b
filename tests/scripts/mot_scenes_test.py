#!/usr/bin/python3
"""Tests of scripts/mot_scenes.py.  Run: /usr/bin/python3 tests/scripts/mot_scenes_test.py"""

import collections
import configparser
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, '..', '..', 'scripts')
sys.path.insert(0, SCRIPTS)
import mot_metrics as mm  # noqa: E402
import mot_scenes as ms  # noqa: E402

FILES = ['seqinfo.ini', 'gt/gt.txt', 'det/det.txt', 'occlusions.json']


def generate(out_dir, *args):
    p = subprocess.run([sys.executable, os.path.join(SCRIPTS, 'mot_scenes.py'), out_dir] + list(args),
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(p.stderr)
    return p.stdout


def load(scene_dir):
    gt = mm.read_mot(os.path.join(scene_dir, 'gt', 'gt.txt'), is_gt=True)
    det = mm.read_mot(os.path.join(scene_dir, 'det', 'det.txt'), unique_ids=False)
    with open(os.path.join(scene_dir, 'occlusions.json')) as f:
        occ = json.load(f)
    return gt, det, occ


class ScenesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = os.path.join(cls.tmp.name, 'default')
        generate(cls.dir)  # --seed 1 --miss 0.10 --fp 0.05 --jitter 2 --frames 300
        cls.data = {s: load(os.path.join(cls.dir, s)) for s in ms.SCENES}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_files_parse_and_follow_the_format(self):
        for scene in ms.SCENES:
            ini = configparser.ConfigParser()
            ini.optionxform = str  # keep MOTChallenge's camelCase keys
            ini.read(os.path.join(self.dir, scene, 'seqinfo.ini'))
            self.assertEqual(dict(ini['Sequence']),
                             {'name': scene, 'imDir': 'img1', 'frameRate': '25', 'seqLength': '300',
                              'imWidth': '1280', 'imHeight': '720', 'imExt': '.jpg'})
            gt, det, _ = self.data[scene]
            self.assertGreater(len(gt), 0, scene)
            self.assertGreater(len(det), 0, scene)
            for r in gt + det:
                self.assertTrue(1 <= r.frame <= 300)
                self.assertTrue(r.x >= 0 and r.y >= 0 and r.x + r.w <= 1280.001 and r.y + r.h <= 720.001, r)
            for r in gt:
                self.assertIn(r.conf, (0, 1))
                self.assertEqual(r.cls, 1)
                self.assertEqual(r.vis, r.conf)
                # Pedestrian-like where the box is not clipped by the image border.
                if r.x > 0 and r.y > 0 and r.x + r.w < 1280 and r.y + r.h < 720:
                    self.assertTrue(29.99 <= r.w <= 80.01 and 1.99 <= r.h / r.w <= 3.01, r)
            for r in det:
                self.assertEqual(r.id, -1)
                self.assertTrue(0.1 <= r.conf <= 1.0)
            with open(os.path.join(self.dir, scene, 'det', 'det.txt')) as f:
                self.assertTrue(all(len(line.split(',')) == 10 for line in f))
            with open(os.path.join(self.dir, scene, 'gt', 'gt.txt')) as f:
                self.assertTrue(all(len(line.split(',')) == 9 for line in f))

    def test_gt_as_tracker_scores_perfectly(self):
        for scene in ms.SCENES:
            gt, _, _ = self.data[scene]
            visible = [r for r in gt if r.conf == 1]
            m = mm.evaluate(gt, visible)
            for k in ('MOTA', 'IDF1', 'HOTA', 'MOTP'):
                self.assertAlmostEqual(m[k], 1.0, msg='%s %s' % (scene, k))
            # Every occlusion keeps its id when the tracker is perfect.
            self.assertEqual(mm.occlusion_id_kept(gt, visible, self.data[scene][2]),
                             (len(self.data[scene][2]),) * 2)
            # Outputting the hidden (conf 0) boxes too costs one FP per hidden row.
            m = mm.evaluate(gt, gt)
            self.assertEqual(m['FP'], sum(1 for r in gt if r.conf == 0), scene)

    def measured_rates(self, data):
        fn = fp = tp = num_gt = 0
        low = real = 0
        for gt, det, _ in data.values():
            # Give every detection its own id: identity does not matter here.
            res = [r._replace(id=k) for k, r in enumerate(det)]
            m = mm.evaluate(gt, res)
            fn, fp, tp, num_gt = fn + m['FN'], fp + m['FP'], tp + m['TP'], num_gt + m['num_gt_dets']
            # Scores of the real (matched) detections: ~30% below 0.5.
            for frame_matches in mm.clear_matches(gt, res).values():
                for k in frame_matches.values():
                    real += 1
                    low += res[k].conf < 0.5
        return fn / num_gt, fp / tp, low / real

    def test_miss_and_fp_rates_are_as_requested(self):
        miss, fp, low = self.measured_rates(self.data)
        self.assertLess(abs(miss - 0.10), 0.02, miss)
        self.assertLess(abs(fp - 0.05), 0.02, fp)
        self.assertLess(abs(low - 0.30), 0.02, low)
        other = os.path.join(self.tmp.name, 'other')
        generate(other, '--miss', '0.25', '--fp', '0.15', '--seed', '4')
        miss, fp, _ = self.measured_rates({s: load(os.path.join(other, s)) for s in ms.SCENES})
        self.assertLess(abs(miss - 0.25), 0.02, miss)
        self.assertLess(abs(fp - 0.15), 0.02, fp)

    def test_same_seed_gives_identical_files(self):
        again = os.path.join(self.tmp.name, 'again')
        generate(again, '--seed', '1')
        seed2 = os.path.join(self.tmp.name, 'seed2')
        generate(seed2, '--seed', '2')
        more_misses = os.path.join(self.tmp.name, 'more_misses')
        generate(more_misses, '--miss', '0.3')
        for scene in ms.SCENES:
            for name in FILES:
                a = os.path.join(self.dir, scene, name)
                self.assertTrue(filecmp.cmp(a, os.path.join(again, scene, name), shallow=False), a)
            self.assertFalse(filecmp.cmp(os.path.join(self.dir, scene, 'gt/gt.txt'),
                                         os.path.join(seed2, scene, 'gt/gt.txt'), shallow=False))
            # Detection options leave the geometry alone.
            self.assertTrue(filecmp.cmp(os.path.join(self.dir, scene, 'gt/gt.txt'),
                                        os.path.join(more_misses, scene, 'gt/gt.txt'), shallow=False))

    def test_occlusions_are_the_conf0_rows(self):
        for scene in ms.SCENES:
            gt, det, occ = self.data[scene]
            hidden = collections.defaultdict(set)
            for r in gt:
                if r.conf == 0:
                    hidden[r.id].add(r.frame)
            listed = collections.defaultdict(set)
            frames_of = collections.defaultdict(set)
            for r in gt:
                frames_of[r.id].add(r.frame)
            for o in occ:
                f0, f1 = o['hidden_from'], o['hidden_to']
                self.assertTrue(1 <= f1 - f0 + 1 <= 15, o)
                listed[o['id']] |= set(range(f0, f1 + 1))
                # Visible just before and just after, so the id can be kept.
                self.assertIn(f0 - 1, frames_of[o['id']])
                self.assertIn(f1 + 1, frames_of[o['id']])
                self.assertNotIn(f0 - 1, hidden[o['id']])
                self.assertNotIn(f1 + 1, hidden[o['id']])
            self.assertEqual(dict(hidden), dict(listed), scene)
        _, _, occ = self.data['occlusion']
        self.assertGreaterEqual(len(occ), 20)
        self.assertEqual({o['hidden_to'] - o['hidden_from'] + 1 for o in occ}, set(range(1, 16)))

    def test_hidden_target_is_inside_a_visible_occluder(self):
        gt, _, occ = self.data['occlusion']
        by_frame = collections.defaultdict(list)
        for r in gt:
            by_frame[r.frame].append(r)
        for o in occ:
            for t in range(o['hidden_from'], o['hidden_to'] + 1):
                target = [r for r in by_frame[t] if r.id == o['id']][0]
                inside = [r for r in by_frame[t] if r.conf == 1 and
                          r.x <= target.x and r.y <= target.y and
                          target.x + target.w <= r.x + r.w and target.y + target.h <= r.y + r.h]
                self.assertTrue(inside, (o, t))

    def test_scenes_have_their_features(self):
        def per_frame(rows):
            d = collections.defaultdict(list)
            for r in rows:
                d[r.frame].append(r)
            return d

        # crossing: some pairs of boxes overlap with IoU > 0.3.
        gt, _, _ = self.data['crossing']
        overlapping = set()
        for rows in per_frame(gt).values():
            ious = mm.box_iou([r[2:6] for r in rows], [r[2:6] for r in rows])
            for a, b in zip(*np.nonzero(np.triu(ious, 1) > 0.3)):
                overlapping.add((rows[a].id, rows[b].id))
        self.assertGreaterEqual(len(overlapping), 5)
        # crowd: about 30 objects in every frame.
        gt, _, _ = self.data['crowd']
        self.assertTrue(all(len(rows) == 30 for rows in per_frame(gt).values()))
        # enter_leave: boxes clipped at the borders; tracks start and end mid-sequence.
        gt, _, _ = self.data['enter_leave']
        self.assertTrue(any(r.x == 0 for r in gt) and any(abs(r.x + r.w - 1280) < 0.011 for r in gt))
        spans = collections.defaultdict(list)
        for r in gt:
            spans[r.id].append(r.frame)
        self.assertTrue(sum(1 for f in spans.values() if min(f) > 1 and max(f) < 300) >= 5)
        # speed_change: speeds from standing still to > 4 px/frame.
        gt, _, _ = self.data['speed_change']
        centres = collections.defaultdict(dict)
        for r in gt:
            centres[r.id][r.frame] = np.array([r.x + r.w / 2, r.y + r.h / 2])
        speeds = [np.linalg.norm(c[t] - c[t - 1]) for c in centres.values() for t in c if t - 1 in c]
        self.assertLess(min(speeds), 0.05)
        self.assertGreater(max(speeds), 4.0)

    def test_bad_arguments(self):
        p = subprocess.run([sys.executable, os.path.join(SCRIPTS, 'mot_scenes.py'),
                            os.path.join(self.tmp.name, 'x'), '--scenes', 'nope'],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn('unknown scene', p.stderr)


if __name__ == '__main__':
    unittest.main()
