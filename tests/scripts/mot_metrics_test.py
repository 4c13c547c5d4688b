#!/usr/bin/python3
"""Tests of scripts/mot_metrics.py: toy sequences whose metrics are worked out by
hand (the arithmetic is in the comments), the assignment against brute force,
file errors and the CLI.  Run: /usr/bin/python3 tests/scripts/mot_metrics_test.py
"""

import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, '..', '..', 'scripts', 'mot_metrics.py')
sys.path.insert(0, os.path.dirname(SCRIPT))
import mot_metrics as mm  # noqa: E402

# Two boxes far apart (IoU 0 with each other), 100x100 so shifts give easy IoUs.
A = (0, 0, 100, 100)
B = (500, 0, 100, 100)


def row(frame, obj_id, box, conf=1):
    return (frame, obj_id) + tuple(box) + (conf,)


def shifted(box, dx):
    return (box[0] + dx,) + tuple(box[1:])


class HungarianTest(unittest.TestCase):
    def brute_force(self, c, maximize):
        n, m = c.shape
        best = None
        if n <= m:
            for perm in itertools.permutations(range(m), n):
                s = sum(c[i, perm[i]] for i in range(n))
                best = s if best is None else (max(best, s) if maximize else min(best, s))
        else:
            return self.brute_force(c.T, maximize)
        return best

    def check(self, c, maximize):
        rows, cols = mm.linear_assignment(c, maximize=maximize)
        n, m = c.shape
        self.assertEqual(len(rows), min(n, m))
        self.assertEqual(len(set(rows.tolist())), len(rows))  # one-to-one
        self.assertEqual(len(set(cols.tolist())), len(cols))
        self.assertEqual(list(rows), sorted(rows))
        self.assertAlmostEqual(c[rows, cols].sum(), self.brute_force(c, maximize), places=9)

    def test_against_brute_force_on_random_matrices(self):
        rng = np.random.default_rng(12345)
        for trial in range(400):
            n = int(rng.integers(1, 7))
            m = int(rng.integers(1, 7))
            if trial % 2:  # small integers: many ties
                c = rng.integers(0, 4, size=(n, m)).astype(float)
            else:
                c = rng.normal(size=(n, m)) * 10
            self.check(c, maximize=bool(trial % 3 == 0))
            self.check(c, maximize=bool(trial % 3 != 0))

    def test_against_subset_dp_on_larger_matrices(self):
        # Exact optimum by dynamic programming over column subsets:
        # best[mask] = cheapest way to give the first popcount(mask) rows the
        # columns in mask.  Fine up to 12 columns; covers sizes brute force cannot.
        rng = np.random.default_rng(7)
        for trial in range(30):
            n = int(rng.integers(6, 11))
            m = int(rng.integers(n, 13))
            c = rng.integers(0, 6, size=(n, m)).astype(float) if trial % 2 else rng.random((n, m))
            best = {0: 0.0}
            for i in range(n):
                nxt = {}
                for mask, value in best.items():
                    for j in range(m):
                        if not mask >> j & 1:
                            key = mask | 1 << j
                            cand = value + c[i, j]
                            if cand < nxt.get(key, np.inf):
                                nxt[key] = cand
                best = nxt
            optimum = min(best.values())
            rows, cols = mm.linear_assignment(c)
            self.assertAlmostEqual(c[rows, cols].sum(), optimum, places=9)
            rows, cols = mm.linear_assignment(c.T)  # the transposed path
            self.assertAlmostEqual(c.T[rows, cols].sum(), optimum, places=9)

    def test_known_matrix_and_empty(self):
        c = np.array([[4, 1, 3], [2, 0, 5], [3, 2, 2]], dtype=float)
        rows, cols = mm.linear_assignment(c)
        # Optimum: (0,1)=1 + (1,0)=2 + (2,2)=2 = 5.
        self.assertEqual(list(cols), [1, 0, 2])
        rows, cols = mm.linear_assignment(np.zeros((0, 3)))
        self.assertEqual(len(rows), 0)
        rows, cols = mm.linear_assignment(np.zeros((2, 0)))
        self.assertEqual(len(cols), 0)


class IouTest(unittest.TestCase):
    def test_shift_25_gives_0_6(self):
        # Overlap 75x100 = 7500; union 10000 + 10000 - 7500 = 12500; 7500/12500 = 0.6.
        self.assertAlmostEqual(mm.box_iou([A], [shifted(A, 25)])[0, 0], 0.6, places=12)
        self.assertEqual(mm.box_iou([A], [B])[0, 0], 0.0)
        self.assertEqual(mm.box_iou([(0, 0, 0, 10)], [(0, 0, 0, 10)])[0, 0], 0.0)


class ToyMetricsTest(unittest.TestCase):
    def test_perfect_tracking(self):
        # 2 objects, 5 frames, tracker boxes identical to GT, own ids 7 and 8.
        gt = [row(f, 1, A) for f in range(1, 6)] + [row(f, 2, B) for f in range(1, 6)]
        res = [row(f, 7, A) for f in range(1, 6)] + [row(f, 8, B) for f in range(1, 6)]
        m = mm.evaluate(gt, res)
        # TP = 10, FN = FP = IDSW = 0 -> MOTA = 1; every IoU is 1 -> MOTP = 1.
        for k, v in dict(MOTA=1, MOTP=1, IDF1=1, IDP=1, IDR=1, HOTA=1, DetA=1, AssA=1,
                         LocA=1, TP=10, FN=0, FP=0, IDSW=0, Frag=0, MT=2, PT=0, ML=0).items():
            self.assertAlmostEqual(m[k], v, msg=k)

    def test_id_switch_in_the_middle(self):
        # Frames 1-4: tracker 10 on GT 1 (box A), 20 on GT 2 (box B);
        # frames 5-6: swapped (20 on A, 10 on B).  IoUs are 1 or 0.
        gt = [row(f, 1, A) for f in range(1, 7)] + [row(f, 2, B) for f in range(1, 7)]
        res = ([row(f, 10, A) for f in range(1, 5)] + [row(f, 20, B) for f in range(1, 5)] +
               [row(f, 20, A) for f in range(5, 7)] + [row(f, 10, B) for f in range(5, 7)])
        m = mm.evaluate(gt, res)
        # Frame 5: both GTs change tracker id -> IDSW = 2.
        # MOTA = 1 - (FN 0 + FP 0 + IDSW 2) / 12 = 5/6.
        self.assertEqual(m['IDSW'], 2)
        self.assertEqual(m['TP'], 12)
        self.assertAlmostEqual(m['MOTA'], 5 / 6)
        self.assertEqual(m['Frag'], 0)
        # Pair frames: (1,10)=4 (1,20)=2 (2,10)=2 (2,20)=4; best: 1-10, 2-20 -> IDTP = 8,
        # IDFP = 12 - 8 = 4, IDFN = 4; IDF1 = 16 / (16 + 4 + 4) = 2/3.
        self.assertEqual((m['IDTP'], m['IDFP'], m['IDFN']), (8, 4, 4))
        self.assertAlmostEqual(m['IDF1'], 2 / 3)
        self.assertAlmostEqual(m['IDP'], 2 / 3)
        self.assertAlmostEqual(m['IDR'], 2 / 3)
        # HOTA: all IoU 1, so DetA = 1.  Every GT/tracker id has 6 frames.
        # AssA = sum_pairs M * M/(6+6-M) / TP = 2 * (4*4/8 + 2*2/10) / 12 = 2*2.4/12 = 0.4.
        self.assertAlmostEqual(m['DetA'], 1)
        self.assertAlmostEqual(m['AssA'], 0.4)
        self.assertAlmostEqual(m['HOTA'], math.sqrt(0.4))

    def test_missed_frame(self):
        # GT 1 (A) and GT 2 (B), frames 1-5.  Tracker 7 on A misses frame 3;
        # tracker 8 on B is there in every frame (so frame 3 is processed).
        gt = [row(f, 1, A) for f in range(1, 6)] + [row(f, 2, B) for f in range(1, 6)]
        res = [row(f, 7, A) for f in (1, 2, 4, 5)] + [row(f, 8, B) for f in range(1, 6)]
        m = mm.evaluate(gt, res)
        # TP = 9, FN = 1; MOTA = 1 - 1/10 = 0.9.
        self.assertEqual((m['TP'], m['FN'], m['FP'], m['IDSW']), (9, 1, 0, 0))
        self.assertAlmostEqual(m['MOTA'], 0.9)
        # GT 1 becomes tracked at frames 1 and 4: 2 starts - 1 = Frag 1.
        self.assertEqual(m['Frag'], 1)
        # GT 1 tracked 4/5 = 0.8: TrackEval's MT needs > 0.8, so GT 1 is PT.
        self.assertEqual((m['MT'], m['PT'], m['ML']), (1, 1, 0))
        # IDTP = 4 + 5 = 9, IDFN = 10 - 9 = 1, IDFP = 9 - 9 = 0; IDF1 = 18/19.
        self.assertAlmostEqual(m['IDF1'], 18 / 19)

    def test_missed_frame_with_no_tracker_box_at_all_is_not_a_fragment(self):
        # TrackEval skips a frame with no tracker box before updating its
        # "previous frame" state, so the gap in frame 3 is FN but not Frag.
        gt = [row(f, 1, A) for f in range(1, 6)]
        res = [row(f, 7, A) for f in (1, 2, 4, 5)]
        m = mm.evaluate(gt, res)
        self.assertEqual((m['FN'], m['Frag'], m['IDSW']), (1, 0, 0))

    def test_false_positive(self):
        # GT 1 exact for frames 1-4, plus tracker 99 far away in frame 2.
        gt = [row(f, 1, A) for f in range(1, 5)]
        res = [row(f, 5, A) for f in range(1, 5)] + [row(2, 99, B)]
        m = mm.evaluate(gt, res)
        # MOTA = 1 - 1/4 = 0.75.
        self.assertEqual((m['TP'], m['FP'], m['FN']), (4, 1, 0))
        self.assertAlmostEqual(m['MOTA'], 0.75)
        # IDTP 4, IDFP 1, IDFN 0: IDF1 = 8/9; IDP = 4/5.
        self.assertAlmostEqual(m['IDF1'], 8 / 9)
        self.assertAlmostEqual(m['IDP'], 0.8)
        # DetA = 4 / (4 + 0 + 1) = 0.8 at every alpha, AssA = 4*(4/(4+4-4))/4 = 1.
        self.assertAlmostEqual(m['DetA'], 0.8)
        self.assertAlmostEqual(m['AssA'], 1)
        self.assertAlmostEqual(m['HOTA'], math.sqrt(0.8))

    def test_shifted_box_iou_0_6(self):
        # Tracker box shifted 25 px: IoU 0.6 (IouTest) in all 4 frames.
        gt = [row(f, 1, A) for f in range(1, 5)]
        res = [row(f, 3, shifted(A, 25)) for f in range(1, 5)]
        m = mm.evaluate(gt, res)
        # 0.6 >= 0.5: TP 4, MOTA 1, MOTP = mean IoU = 0.6.
        self.assertEqual(m['TP'], 4)
        self.assertAlmostEqual(m['MOTA'], 1)
        self.assertAlmostEqual(m['MOTP'], 0.6)
        # HOTA: a match counts at alpha when IoU >= alpha - eps, so alphas
        # 0.05 .. 0.60 (12 values) match, 0.65 .. 0.95 (7) do not.
        h = mm.hota_per_alpha(mm._Sequence(gt, res))
        self.assertEqual(list(h['HOTA_TP']), [4] * 12 + [0] * 7)
        # LocA: 0.6 at the 12 alphas, and TrackEval's 1 where TP = 0:
        # (12*0.6 + 7*1) / 19 = 14.2 / 19.
        self.assertAlmostEqual(m['LocA'], 14.2 / 19)
        # HOTA_a = sqrt(1 * 1) for 12 alphas, 0 for 7: HOTA = 12/19.
        self.assertAlmostEqual(m['HOTA'], 12 / 19)
        self.assertAlmostEqual(m['DetA'], 12 / 19)

    def test_hota_tracker_merges_two_gt_ids(self):
        # GT 1 on frames 1-4, GT 2 on frames 5-6 (same place), one tracker id 5
        # on frames 1-6, all boxes exact (IoU 1).
        gt = [row(f, 1, A) for f in range(1, 5)] + [row(f, 2, A) for f in range(5, 7)]
        res = [row(f, 5, A) for f in range(1, 7)]
        m = mm.evaluate(gt, res)
        # CLEAR does not see the merge: GT 2 had no earlier match -> IDSW 0, MOTA 1.
        self.assertEqual(m['IDSW'], 0)
        self.assertAlmostEqual(m['MOTA'], 1)
        # Identity: only one of the GT ids gets tracker 5: IDTP 4, IDFN 2, IDFP 2;
        # IDF1 = 8 / (8 + 2 + 2) = 2/3.
        self.assertAlmostEqual(m['IDF1'], 2 / 3)
        # HOTA, same at all 19 alphas (IoU 1): TP 6, DetA 1.
        # frames: GT1 4, GT2 2, tracker 6.  M(1,5) = 4, M(2,5) = 2.
        # AssA = (4 * 4/(4+6-4) + 2 * 2/(2+6-2)) / 6 = (16/6 + 4/6) / 6 = 20/36 = 5/9.
        self.assertAlmostEqual(m['DetA'], 1)
        self.assertAlmostEqual(m['AssA'], 5 / 9)
        self.assertAlmostEqual(m['HOTA'], math.sqrt(5 / 9))
        self.assertAlmostEqual(m['LocA'], 1)

    def test_hota_uses_soft_alignment_score_and_no_rematching(self):
        # GT 1 on frames 1-3.  Tracker 1 exact on frames 1-2 and shifted 20 px
        # on frame 3 (IoU 80/120 = 2/3); tracker 2 exact, on frame 3 only.
        gt = [row(f, 1, A) for f in range(1, 4)]
        res = [row(1, 1, A), row(2, 1, A), row(3, 1, shifted(A, 20)), row(3, 2, A)]
        m = mm.evaluate(gt, res)
        # Soft counts, frame 3: S = [2/3, 1], row sum 5/3:
        #   t1: (2/3) / (2/3 + 5/3 - 2/3) = 0.4;  t2: 1 / (1 + 5/3 - 1) = 0.6.
        # potential(1,t1) = 1 + 1 + 0.4 = 2.4, potential(1,t2) = 0.6.
        # A(1,t1) = 2.4 / (3 + 3 - 2.4) = 2/3;  A(1,t2) = 0.6 / (3 + 1 - 0.6) = 3/17.
        # Frame 3 scores: t1 2/3 * 2/3 = 4/9 > t2 3/17 * 1: HOTA matches t1 (IoU 2/3).
        # alphas 0.05..0.65 (13): TP 3, FP 1 -> DetA 3/4; M(1,t1)=3 -> AssA 3*(3/3)/3 = 1;
        #   LocA (1 + 1 + 2/3)/3 = 8/9.
        # alphas 0.70..0.95 (6): the t1 pair is rejected and t2 is not re-matched:
        #   TP 2, FN 1, FP 2 -> DetA 2/5; M=2 -> AssA 2*(2/(3+3-2))/2 = 0.5; LocA 1.
        self.assertAlmostEqual(m['DetA'], (13 * 0.75 + 6 * 0.4) / 19)
        self.assertAlmostEqual(m['AssA'], (13 * 1 + 6 * 0.5) / 19)
        self.assertAlmostEqual(m['LocA'], (13 * 8 / 9 + 6 * 1) / 19)
        self.assertAlmostEqual(m['HOTA'], (13 * math.sqrt(0.75) + 6 * math.sqrt(0.2)) / 19)
        # CLEAR keeps the continuing t1 (score 1000 + 2/3 > 1): TP 3, FP 1,
        # MOTA = 1 - 1/3, MOTP = (1 + 1 + 2/3) / 3 = 8/9.
        self.assertAlmostEqual(m['MOTA'], 2 / 3)
        self.assertAlmostEqual(m['MOTP'], 8 / 9)

    def test_clear_prefers_continuing_match(self):
        # Frame 1: only tracker 1 (IoU 0.6 after a 25 px shift).  Frame 2: tracker 1
        # still at IoU 0.6 and tracker 2 exact.  Continuation wins -> no IDSW,
        # MOTP = (0.6 + 0.6) / 2.
        gt = [row(1, 1, A), row(2, 1, A)]
        res = [row(1, 1, shifted(A, 25)), row(2, 1, shifted(A, 25)), row(2, 2, A)]
        m = mm.evaluate(gt, res)
        self.assertEqual((m['IDSW'], m['FP']), (0, 1))
        self.assertAlmostEqual(m['MOTP'], 0.6)

    def test_idsw_counts_against_last_match_any_time_before(self):
        # GT 1: tracker 1 in frame 1, unmatched in frame 2 (tracker box far away),
        # tracker 2 in frame 3 -> IDSW 1 (and Frag 1: tracked at 1 and 3).
        gt = [row(f, 1, A) for f in (1, 2, 3)]
        res = [row(1, 1, A), row(2, 1, B), row(3, 2, A)]
        m = mm.evaluate(gt, res)
        self.assertEqual((m['IDSW'], m['Frag'], m['FN'], m['FP']), (1, 1, 1, 1))

    def test_conf_zero_gt_is_ignored_and_a_box_on_it_is_fp(self):
        gt = [row(1, 1, A), row(2, 1, A, conf=0), row(3, 1, A)]
        res = [row(f, 4, A) for f in (1, 2, 3)]
        m = mm.evaluate(gt, res)
        # num_gt_dets = 2; tracker box in frame 2 has nothing to match: FP 1.
        self.assertEqual((m['num_gt_dets'], m['TP'], m['FP'], m['FN']), (2, 2, 1, 0))
        self.assertAlmostEqual(m['MOTA'], 0.5)

    def test_empty_results(self):
        gt = [row(f, 1, A) for f in range(1, 4)]
        m = mm.evaluate(gt, [])
        self.assertEqual((m['FN'], m['ML'], m['TP']), (3, 1, 0))
        self.assertEqual(m['HOTA'], 0)
        self.assertEqual(m['LocA'], 1)


class OcclusionTest(unittest.TestCase):
    def test_tiny_case(self):
        # GT 1 hidden 4..6, tracker 3 before (frame 3) and after (frame 7): kept.
        # GT 2 hidden 4..5, tracker 8 before, tracker 9 at frame 6: not kept.
        # GT 3 hidden 2..3, tracker 5 before but only matched again at frame 10,
        #   outside (3, 3+5]: not kept.
        gt = ([row(f, 1, A) for f in (1, 2, 3, 7, 8)] +
              [row(f, 2, B) for f in (1, 2, 3, 6, 7)] +
              [row(f, 3, (0, 300, 50, 100)) for f in (1, 10)])
        res = ([row(f, 3, A) for f in (1, 2, 3, 7, 8)] +
               [row(f, 8, B) for f in (1, 2, 3)] + [row(f, 9, B) for f in (6, 7)] +
               [row(f, 5, (0, 300, 50, 100)) for f in (1, 10)])
        occ = [{'id': 1, 'hidden_from': 4, 'hidden_to': 6},
               {'id': 2, 'hidden_from': 4, 'hidden_to': 5},
               {'id': 3, 'hidden_from': 2, 'hidden_to': 3}]
        self.assertEqual(mm.occlusion_id_kept(gt, res, occ), (1, 3))
        # A window reaching frame 10 keeps GT 3's id too.
        self.assertEqual(mm.occlusion_id_kept(gt, res, occ, window=7), (2, 3))


class FileTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_reads_rows_and_ignores_blank_lines_and_extra_columns(self):
        path = self.write('gt.txt', '1,1,10,20,30,60,1,1,0.5\n\n2, 1, 11, 20, 30, 60, 0, 7, 0, 9, 9\n')
        rows = mm.read_mot(path, is_gt=True)
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[0], mm.MotRow(1, 1, 10.0, 20.0, 30.0, 60.0, 1.0, 1.0, 0.5))
        self.assertEqual((rows[1].conf, rows[1].cls), (0.0, 7.0))

    def test_malformed_lines_name_file_and_line(self):
        cases = [
            ('1,1,10,20,30,60,1\n1,2,10,20,30\n', 2, 'columns'),
            ('1,1,10,abc,30,60,1\n', 1, 'y is not a number'),
            ('\n0,1,10,20,30,60,1\n', 2, 'frame must be >= 1'),
            ('1.5,1,10,20,30,60,1\n', 1, 'frame is not an integer'),
            ('1,1,10,20,-3,60,1\n', 1, 'negative'),
            ('1,1,10,20,30,nan,1\n', 1, 'not finite'),
            ('1,1,10,20,30,60,1\n2,1,1,1,1,1,1\n1,1,5,5,5,5,1\n', 3, 'twice in frame 1 (first on line 1)'),
        ]
        for k, (text, line, what) in enumerate(cases):
            path = self.write('bad%d.txt' % k, text)
            with self.assertRaises(mm.MotFormatError) as ctx:
                mm.read_mot(path, is_gt=True)
            self.assertIsInstance(ctx.exception, ValueError)
            self.assertTrue(str(ctx.exception).startswith('%s:%d: ' % (path, line)), str(ctx.exception))
            self.assertIn(what, str(ctx.exception))
        # Results need only 6 columns; GT needs 7 (conf).
        path = self.write('six.txt', '1,1,10,20,30,60\n')
        self.assertEqual(mm.read_mot(path)[0].conf, 1.0)
        with self.assertRaises(mm.MotFormatError):
            mm.read_mot(path, is_gt=True)
        # Detection files (all ids -1) read with unique_ids=False.
        path = self.write('det.txt', '1,-1,1,1,5,5,0.9\n1,-1,20,1,5,5,0.8\n')
        self.assertEqual(len(mm.read_mot(path, unique_ids=False)), 2)

    def run_cli(self, *args):
        return subprocess.run([sys.executable, SCRIPT] + list(args),
                              capture_output=True, text=True)

    def test_cli_json_and_text(self):
        # The ID-switch toy case as files.
        gt = ''.join('%d,%d,%d,0,100,100,1,1,1\n' % (f, i, x)
                     for f in range(1, 7) for i, x in ((1, 0), (2, 500)))
        res = ''.join('%d,%d,%d,0,100,100,0.9,-1,-1,-1\n' % (f, t, x)
                      for f in range(1, 7)
                      for t, x in (((10, 0), (20, 500)) if f <= 4 else ((20, 0), (10, 500))))
        gt_path = self.write('gt.txt', gt)
        res_path = self.write('res.txt', res)
        p = self.run_cli(gt_path, res_path, '--json')
        self.assertEqual(p.returncode, 0, p.stderr)
        d = json.loads(p.stdout)
        self.assertEqual(list(d), mm.METRIC_ORDER)
        self.assertEqual(d['IDSW'], 2)
        self.assertAlmostEqual(d['MOTA'], 5 / 6)
        self.assertAlmostEqual(d['IDF1'], 2 / 3)
        self.assertAlmostEqual(d['HOTA'], math.sqrt(0.4))
        p = self.run_cli(gt_path, res_path, '--iou', '0.5')
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = dict(line.split(' ') for line in p.stdout.splitlines())
        self.assertEqual(lines['IDSW'], '2')
        self.assertEqual(lines['MOTA'], '0.833333')
        # With occlusions: GT 1 "hidden" 3..4 would not have kept tracker 10.
        occ_path = self.write('occ.json', json.dumps([{'id': 1, 'hidden_from': 3, 'hidden_to': 4}]))
        d = json.loads(self.run_cli(gt_path, res_path, '--json', '--occlusions', occ_path).stdout)
        self.assertEqual((d['occlusion_kept'], d['occlusion_total']), (0, 1))

    def test_cli_malformed_file_exit_2(self):
        gt_path = self.write('gt.txt', '1,1,10,20,30,60,1\n')
        res_path = self.write('res.txt', '1,1,10,20,30,60,1\n1,x,1,1,1,1,1\n')
        p = self.run_cli(gt_path, res_path)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, '')
        self.assertEqual(p.stderr.strip().splitlines(), ["%s:2: id is not a number: 'x'" % res_path])
        p = self.run_cli(gt_path, os.path.join(self.dir.name, 'missing.txt'))
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1)


if __name__ == '__main__':
    unittest.main()
