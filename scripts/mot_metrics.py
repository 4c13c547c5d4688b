#!/usr/bin/python3
"""MOTChallenge tracking metrics (CLEAR MOT, Identity, HOTA) for one sequence.

Usage:
    /usr/bin/python3 scripts/mot_metrics.py GT.txt RESULTS.txt [--iou 0.5] [--json]
        [--occlusions OCCLUSIONS.json] [--window 5]

prints one ``name value`` line per metric (or one JSON object with --json).
A malformed input line is reported as ``FILE:LINE: what is wrong`` on stderr
and the exit code is 2.  The module can also be imported (``evaluate``,
``read_mot``, ``linear_assignment``, ``occlusion_id_kept``).

The definitions follow the MOTChallenge evaluation kit (TrackEval: its CLEAR,
Identity and HOTA metrics and its MOTChallenge box loader); they are
re-implemented here from those definitions, with numpy only.

Input files
-----------
MOTChallenge text, one box per line: ``frame, id, x, y, w, h, conf, ...``
(frames 1-based, x/y the top-left corner, w/h in pixels; comma separated;
blank lines ignored; columns after the 7th are ignored, except that the 8th
and 9th are kept as ``cls``/``vis`` when they are numbers).
  * Ground truth needs at least 7 columns.  Rows with conf == 0 are ignored
    (not to be considered, e.g. an object fully hidden).  A tracker box over
    such an ignored object is a false positive, as in TrackEval (it only
    drops tracker boxes over *distractor classes*).
  * There is NO class filtering: if the GT has a class column (8th), rows of
    all classes are kept (TrackEval's MOT17 loader keeps only pedestrians and
    drops tracker boxes matched to distractor classes; we do not).
  * Results need at least 6 columns; their conf column is not used.
  * Within one file an id may occur only once per frame (TrackEval refuses
    such tracker files too); ``read_mot(..., unique_ids=False)`` lifts this,
    for detection files whose ids are all -1.

Similarity is the box IoU: intersection / union of [x, x+w] x [y, y+h]
(no +1 pixel convention); a box of zero area has IoU 0 with everything.

CLEAR MOT (Bernardin & Stiefelhagen; TrackEval's CLEAR)
------------------------------------------------------
Per frame, GT and tracker boxes are matched one-to-one by an optimal
assignment maximising ``1000 * continuing + IoU``, where ``continuing`` is 1
when the tracker id is the one that GT object was matched to in the previous
*processed* frame; pairs with IoU < threshold get score 0 and are dropped
after the assignment.  So an established match is kept whenever its IoU is
still >= threshold, and otherwise the total IoU is maximised.
  TP    matched pairs, FN unmatched GT boxes, FP unmatched tracker boxes.
  IDSW  a matched GT whose tracker id differs from the tracker id it was
        last matched to (any number of frames earlier).
  MOTA  1 - (FN + FP + IDSW) / num_gt_dets   (= (TP - FP - IDSW) / num_gt)
  MODA  1 - (FN + FP) / num_gt_dets
  MOTP  mean IoU over the TP pairs (TrackEval: IoU, not a distance).
  Frag  per GT id: (number of times it becomes tracked after not being
        tracked in the previous processed frame) - 1, summed over ids that
        were tracked at least once.  As in TrackEval, a frame that has no GT
        box or no tracker box at all is skipped entirely: it neither breaks
        the "previous frame" match nor counts as untracked for Frag (it still
        counts FN/FP).
  MT/PT/ML  per GT id, tracked ratio = matched frames / frames present.
        TrackEval's thresholds: MT ratio > 0.8 (strictly), ML ratio < 0.2
        (strictly), PT the rest.  (The textbook wording "at least 80% / at
        most 20%" differs exactly at the boundary; we follow TrackEval.)

Identity (Ristani et al. 2016; TrackEval's Identity)
----------------------------------------------------
For each (GT id, tracker id) pair, IDTP(pair) = number of frames where both
are present and their IoU >= threshold.  GT ids and tracker ids are matched
globally one-to-one maximising the sum of IDTP (unmatched ids allowed).
  IDTP  that maximum;  IDFN = num_gt_dets - IDTP;  IDFP = num_tracker_dets - IDTP
  IDF1  2 IDTP / (2 IDTP + IDFP + IDFN);  IDP IDTP / num_tracker_dets;
  IDR   IDTP / num_gt_dets.

HOTA (Luiten et al. 2021; TrackEval's HOTA)
-------------------------------------------
1. Over all frames, a soft count of potential matches per id pair: in each
   frame, pair (g, t) adds S(g,t) / (sum_t' S(g,t') + sum_g' S(g',t) - S(g,t))
   where S is the IoU matrix of that frame.  The global alignment score of a
   pair is A(g,t) = count / (frames(g) + frames(t) - count).
2. For each frame, one optimal assignment maximising A(g,t) * IoU(g,t) (the
   same assignment for every alpha).
3. For each alpha in 0.05, 0.10, ..., 0.95 (19 values, numpy.arange(0.05,
   0.99, 0.05) like TrackEval), the assigned pairs with IoU >= alpha are the
   TPs (no re-matching of the rejected ones); FN/FP are the rest.
     DetA_a = TP / (TP + FN + FP);  DetRe_a = TP/(TP+FN);  DetPr_a = TP/(TP+FP)
     AssA_a = (1/TP) * sum over TP pairs c of  TPA(c) / (TPA(c)+FNA(c)+FPA(c))
            = sum_{g,t} M(g,t) * M(g,t) / (frames(g) + frames(t) - M(g,t)) / TP
       where M(g,t) is the number of TPs between g and t at that alpha
       (AssRe/AssPr likewise with frames(g) / frames(t) as denominators).
     LocA_a = mean IoU over the TPs (1 when there is no TP, as in TrackEval).
     HOTA_a = sqrt(DetA_a * AssA_a)
   HOTA, DetA, AssA, LocA, ... reported are the means over the 19 alphas.
Ties in any assignment may be broken differently from scipy (which TrackEval
uses); results can then differ in rare degenerate cases.

occlusion_id_kept
-----------------
For an occlusion {"id": g, "hidden_from": f0, "hidden_to": f1}: the tracker id
CLEAR-matched to g in the last frame < f0 where g was matched, and the one
matched in the first frame of f1+1 .. f1+window where g is matched; the id was
kept when both exist and are equal.  Returns (kept, total).
"""

import argparse
import collections
import json
import math
import sys

import numpy as np

EPS = np.finfo('float').eps  # TrackEval's tolerance in its comparisons
HOTA_ALPHAS = np.arange(0.05, 0.99, 0.05)  # exactly TrackEval's 19 values

MotRow = collections.namedtuple('MotRow', 'frame id x y w h conf cls vis')


class MotFormatError(ValueError):
    """A malformed MOTChallenge line; str() is 'FILE:LINE: what is wrong'."""

    def __init__(self, path, line, message):
        super().__init__('%s:%d: %s' % (path, line, message))
        self.path = path
        self.line = line


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------

def _number(text, path, line, name):
    try:
        value = float(text)
    except ValueError:
        raise MotFormatError(path, line, '%s is not a number: %r' % (name, text))
    if not math.isfinite(value):
        raise MotFormatError(path, line, '%s is not finite: %r' % (name, text))
    return value


def _integer(text, path, line, name):
    value = _number(text, path, line, name)
    if value != int(value):
        raise MotFormatError(path, line, '%s is not an integer: %r' % (name, text))
    return int(value)


def _optional_number(fields, index):
    # Columns after the 7th are "ignored": keep cls/vis when they parse, never fail.
    if len(fields) <= index:
        return None
    try:
        value = float(fields[index])
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_mot(path, is_gt=False, unique_ids=True):
    """Reads a MOTChallenge text file into a list of MotRow (all rows, conf-0 ones
    included: evaluate() drops the conf-0 GT rows).  Raises MotFormatError."""
    min_columns = 7 if is_gt else 6
    rows = []
    first_line_of = {}  # (frame, id) -> line number, to name both lines of a duplicate
    with open(path, 'r') as f:
        for number, raw in enumerate(f, start=1):
            text = raw.strip()
            if not text:
                continue
            fields = [s.strip() for s in text.split(',')]
            if len(fields) < min_columns:
                raise MotFormatError(path, number, 'expected at least %d comma-separated columns '
                                     '(frame,id,x,y,w,h%s), got %d'
                                     % (min_columns, ',conf' if is_gt else '', len(fields)))
            frame = _integer(fields[0], path, number, 'frame')
            if frame < 1:
                raise MotFormatError(path, number, 'frame must be >= 1 (1-based), got %d' % frame)
            obj_id = _integer(fields[1], path, number, 'id')
            x = _number(fields[2], path, number, 'x')
            y = _number(fields[3], path, number, 'y')
            w = _number(fields[4], path, number, 'w')
            h = _number(fields[5], path, number, 'h')
            if w < 0 or h < 0:
                raise MotFormatError(path, number, 'negative box size w=%g h=%g' % (w, h))
            conf = _number(fields[6], path, number, 'conf') if len(fields) > 6 else 1.0
            if unique_ids:
                key = (frame, obj_id)
                if key in first_line_of:
                    raise MotFormatError(path, number, 'id %d appears twice in frame %d (first on line %d)'
                                         % (obj_id, frame, first_line_of[key]))
                first_line_of[key] = number
            rows.append(MotRow(frame, obj_id, x, y, w, h, conf,
                               _optional_number(fields, 7), _optional_number(fields, 8)))
    return rows


# ---------------------------------------------------------------------------
# Optimal assignment (Kuhn-Munkres with potentials, shortest augmenting paths)
# ---------------------------------------------------------------------------

def linear_assignment(cost, maximize=False):
    """Exact optimal one-to-one assignment for a rectangular matrix.

    Returns (rows, cols), numpy int arrays sorted by row, of min(n, m) pairs
    minimising (or maximising) sum cost[rows, cols].  O(n^2 m) for n <= m.

    Algorithm: rows are added one at a time; for each, a Dijkstra-like search
    over columns with dual potentials u (rows) and v (columns) finds the
    cheapest augmenting path in reduced costs cost - u - v >= 0, then the
    matching is flipped along it.  (The classic Hungarian / Jonker-Volgenant
    shortest-augmenting-path formulation.)
    """
    c = np.array(cost, dtype=float)
    if c.ndim != 2:
        raise ValueError('cost must be a 2-D matrix')
    if not np.all(np.isfinite(c)):
        raise ValueError('cost must be finite')
    if maximize:
        c = -c
    transposed = c.shape[0] > c.shape[1]
    if transposed:  # the search below needs rows <= columns
        c = c.T
    n, m = c.shape
    if n == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)

    # Index 0 is a virtual column: p[0] holds the row being inserted.
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    p = np.zeros(m + 1, dtype=int)    # p[j] = row (1-based) matched to column j, 0 = free
    way = np.zeros(m + 1, dtype=int)  # way[j] = previous column on the shortest path to j
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)  # shortest reduced distance to each column so far
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            # Relax all columns not yet in the tree via row i0.
            reduced = c[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (reduced < minv[1:])
            minv[1:][better] = reduced[better]
            way[1:][better] = j0
            # Closest column not yet in the tree.
            candidates = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(candidates)) + 1
            delta = candidates[j1 - 1]
            # Shift potentials so the tree's edges stay tight and j1 becomes tight.
            u[p[used]] += delta
            v[used] -= delta
            minv[~used] -= delta
            j0 = j1
            if p[j0] == 0:  # reached a free column: augment
                break
        while j0 != 0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1

    cols = np.nonzero(p[1:])[0]
    rows = p[1:][cols] - 1
    if transposed:
        rows, cols = cols, rows
    order = np.argsort(rows)
    return rows[order].astype(int), cols[order].astype(int)


# ---------------------------------------------------------------------------
# Sequence preparation
# ---------------------------------------------------------------------------

def box_iou(a, b):
    """IoU matrix between (n,4) and (m,4) arrays of x,y,w,h boxes."""
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    ax0, ay0 = a[:, 0:1], a[:, 1:2]
    ax1, ay1 = ax0 + a[:, 2:3], ay0 + a[:, 3:4]
    bx0, by0 = b[:, 0], b[:, 1]
    bx1, by1 = bx0 + b[:, 2], by0 + b[:, 3]
    inter = (np.maximum(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0) *
             np.maximum(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0))
    area_a = a[:, 2] * a[:, 3]
    area_b = b[:, 2] * b[:, 3]
    union = area_a[:, None] + area_b[None, :] - inter
    # Degenerate boxes have IoU 0 (TrackEval does the same).
    inter[area_a <= EPS, :] = 0
    inter[:, area_b <= EPS] = 0
    inter[union <= EPS] = 0
    union[union <= EPS] = 1
    return inter / union


class _Sequence:
    """Per-frame GT/tracker ids (as 0-based contiguous indices) and IoU matrices."""

    def __init__(self, gt_rows, res_rows):
        gt_rows = [r for r in gt_rows if r[6] != 0]  # conf 0: not to be considered
        res_rows = list(res_rows)
        self.gt_id_list = sorted({int(r[1]) for r in gt_rows})
        self.tr_id_list = sorted({int(r[1]) for r in res_rows})
        gt_index = {g: k for k, g in enumerate(self.gt_id_list)}
        tr_index = {t: k for k, t in enumerate(self.tr_id_list)}
        by_frame = collections.defaultdict(lambda: ([], [], [], []))
        for r in gt_rows:
            entry = by_frame[int(r[0])]
            entry[0].append(gt_index[int(r[1])])
            entry[1].append(r[2:6])
        for r in res_rows:
            entry = by_frame[int(r[0])]
            entry[2].append(tr_index[int(r[1])])
            entry[3].append(r[2:6])
        # Frames where neither file has a box change nothing in any metric, so
        # only the frames that appear are processed (in increasing order).
        self.frames = sorted(by_frame)
        self.gt_ids, self.tr_ids, self.sims = [], [], []
        for frame in self.frames:
            g, gb, t, tb = by_frame[frame]
            g = np.array(g, dtype=int)
            t = np.array(t, dtype=int)
            if len(set(g.tolist())) != len(g) or len(set(t.tolist())) != len(t):
                raise ValueError('an id appears twice in frame %d' % frame)
            self.gt_ids.append(g)
            self.tr_ids.append(t)
            self.sims.append(box_iou(gb, tb))
        self.num_gt_ids = len(self.gt_id_list)
        self.num_tr_ids = len(self.tr_id_list)
        self.num_gt_dets = len(gt_rows)
        self.num_tr_dets = len(res_rows)


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------

def _clear(seq, threshold):
    """CLEAR MOT counts.  Returns (metrics dict, matches) where
    matches[gt_id][frame] = tracker_id for every TP (original ids)."""
    tp = fn = fp = idsw = 0
    motp_sum = 0.0
    gt_frames = np.zeros(seq.num_gt_ids)       # frames each GT id is present
    gt_matched = np.zeros(seq.num_gt_ids)      # frames each GT id is matched
    gt_track_starts = np.zeros(seq.num_gt_ids)  # untracked -> tracked transitions
    # Last matched tracker id at any earlier time (for IDSW) and in the previous
    # processed frame only (for preferring continuation, and for Frag).
    last_tr = np.full(seq.num_gt_ids, -1)
    prev_frame_tr = np.full(seq.num_gt_ids, -1)
    matches = collections.defaultdict(dict)

    for frame, g, t, sim in zip(seq.frames, seq.gt_ids, seq.tr_ids, seq.sims):
        # TrackEval skips such frames before touching the previous-frame state.
        if len(g) == 0:
            fp += len(t)
            continue
        if len(t) == 0:
            fn += len(g)
            gt_frames[g] += 1
            continue
        continuing = t[None, :] == prev_frame_tr[g][:, None]
        score = 1000.0 * continuing + sim
        score[sim < threshold - EPS] = 0
        rows, cols = linear_assignment(score, maximize=True)
        keep = score[rows, cols] > EPS
        rows, cols = rows[keep], cols[keep]
        mg, mt = g[rows], t[cols]

        idsw += int(np.sum((last_tr[mg] >= 0) & (last_tr[mg] != mt)))
        gt_frames[g] += 1
        gt_matched[mg] += 1
        was_untracked = prev_frame_tr < 0
        last_tr[mg] = mt
        prev_frame_tr[:] = -1
        prev_frame_tr[mg] = mt
        gt_track_starts += was_untracked & (prev_frame_tr >= 0)

        tp += len(mg)
        fn += len(g) - len(mg)
        fp += len(t) - len(mg)
        motp_sum += float(np.sum(sim[rows, cols]))
        for a, b in zip(mg, mt):
            matches[seq.gt_id_list[a]][frame] = seq.tr_id_list[b]

    present = gt_frames > 0
    ratio = gt_matched[present] / gt_frames[present]
    mt_count = int(np.sum(ratio > 0.8))
    pt_count = int(np.sum(ratio >= 0.2)) - mt_count
    ml_count = seq.num_gt_ids - mt_count - pt_count
    frag = int(np.sum(gt_track_starts[gt_track_starts > 0] - 1))
    num_gt = tp + fn
    res = {
        'MOTA': (tp - fp - idsw) / max(1, num_gt),
        'MOTP': motp_sum / max(1, tp),
        'MODA': (tp - fp) / max(1, num_gt),
        'TP': tp, 'FN': fn, 'FP': fp, 'IDSW': idsw, 'Frag': frag,
        'MT': mt_count, 'PT': pt_count, 'ML': ml_count,
    }
    return res, matches


def _identity(seq, threshold):
    """IDF1 / IDP / IDR with the global optimal id-to-id matching."""
    pair_frames = np.zeros((seq.num_gt_ids, seq.num_tr_ids))
    for g, t, sim in zip(seq.gt_ids, seq.tr_ids, seq.sims):
        gi, ti = np.nonzero(sim >= threshold)
        # Ids are unique per frame, so each (g, t) pair gets at most +1 per frame.
        pair_frames[g[gi], t[ti]] += 1
    rows, cols = linear_assignment(pair_frames, maximize=True)
    idtp = int(round(pair_frames[rows, cols].sum()))
    idfn = seq.num_gt_dets - idtp
    idfp = seq.num_tr_dets - idtp
    return {
        'IDF1': idtp / max(1.0, idtp + 0.5 * idfp + 0.5 * idfn),
        'IDP': idtp / max(1, idtp + idfp),
        'IDR': idtp / max(1, idtp + idfn),
        'IDTP': idtp, 'IDFP': idfp, 'IDFN': idfn,
    }


def hota_per_alpha(seq):
    """HOTA sub-metrics as arrays over HOTA_ALPHAS (TrackEval's HOTA)."""
    n_alpha = len(HOTA_ALPHAS)
    gt_count = np.zeros((seq.num_gt_ids, 1))
    tr_count = np.zeros((1, seq.num_tr_ids))
    potential = np.zeros((seq.num_gt_ids, seq.num_tr_ids))
    # Pass 1: soft potential-match counts (each frame's IoU normalised like a
    # Jaccard index of the pair against everything either box overlaps).
    for g, t, sim in zip(seq.gt_ids, seq.tr_ids, seq.sims):
        denom = sim.sum(0)[None, :] + sim.sum(1)[:, None] - sim
        soft = np.zeros_like(sim)
        ok = denom > EPS
        soft[ok] = sim[ok] / denom[ok]
        potential[g[:, None], t[None, :]] += soft
        gt_count[g] += 1
        tr_count[0, t] += 1
    # Denominator >= max(frames(g), frames(t)) >= 1 wherever it is used.
    alignment = potential / np.maximum(EPS, gt_count + tr_count - potential)

    # Pass 2: one assignment per frame; every assigned pair is kept with its IoU
    # and thresholded at each alpha below.  (Frames without GT or without tracker
    # boxes only add FN/FP, which the totals below account for.)
    pair_g, pair_t, pair_sim = [], [], []
    for g, t, sim in zip(seq.gt_ids, seq.tr_ids, seq.sims):
        if len(g) == 0 or len(t) == 0:
            continue
        score = alignment[g[:, None], t[None, :]] * sim
        rows, cols = linear_assignment(score, maximize=True)
        pair_g.append(g[rows])
        pair_t.append(t[cols])
        pair_sim.append(sim[rows, cols])
    pair_g = np.concatenate(pair_g) if pair_g else np.zeros(0, dtype=int)
    pair_t = np.concatenate(pair_t) if pair_t else np.zeros(0, dtype=int)
    pair_sim = np.concatenate(pair_sim) if pair_sim else np.zeros(0)

    tp = np.zeros(n_alpha)
    loc = np.zeros(n_alpha)
    ass_a = np.zeros(n_alpha)
    ass_re = np.zeros(n_alpha)
    ass_pr = np.zeros(n_alpha)
    for a, alpha in enumerate(HOTA_ALPHAS):
        ok = pair_sim >= alpha - EPS
        tp[a] = np.sum(ok)
        loc[a] = np.sum(pair_sim[ok])
        # M(g,t): TPs of each id pair at this alpha (only the pairs that occur).
        codes, m = np.unique(pair_g[ok] * max(1, seq.num_tr_ids) + pair_t[ok], return_counts=True)
        gi, ti = np.divmod(codes, max(1, seq.num_tr_ids))
        gc, tc = gt_count[gi, 0], tr_count[0, ti]
        ass_a[a] = np.sum(m * m / (gc + tc - m)) / max(1, tp[a])
        ass_re[a] = np.sum(m * m / gc) / max(1, tp[a])
        ass_pr[a] = np.sum(m * m / tc) / max(1, tp[a])
    # Every GT box not a TP is a FN, every tracker box not a TP a FP.
    fn = seq.num_gt_dets - tp
    fp = seq.num_tr_dets - tp
    det_a = tp / np.maximum(1, tp + fn + fp)
    return {
        'alpha': HOTA_ALPHAS.copy(),
        'HOTA': np.sqrt(det_a * ass_a),
        'DetA': det_a,
        'AssA': ass_a,
        'DetRe': tp / np.maximum(1, tp + fn),
        'DetPr': tp / np.maximum(1, tp + fp),
        'AssRe': ass_re,
        'AssPr': ass_pr,
        # No TP at an alpha gives LocA 1 there (TrackEval's max(1e-10, .) ratio).
        'LocA': np.maximum(1e-10, loc) / np.maximum(1e-10, tp),
        'HOTA_TP': tp, 'HOTA_FN': fn, 'HOTA_FP': fp,
    }


METRIC_ORDER = ['HOTA', 'DetA', 'AssA', 'LocA', 'DetRe', 'DetPr', 'AssRe', 'AssPr',
                'MOTA', 'MOTP', 'MODA', 'IDF1', 'IDP', 'IDR',
                'TP', 'FN', 'FP', 'IDSW', 'Frag', 'MT', 'PT', 'ML',
                'IDTP', 'IDFP', 'IDFN',
                'num_frames', 'num_gt_dets', 'num_tracker_dets', 'num_gt_ids', 'num_tracker_ids']


def evaluate(gt_rows, result_rows, iou=0.5):
    """All metrics for one sequence as a dict of Python ints/floats (METRIC_ORDER).

    Rows are MotRow or any sequences (frame, id, x, y, w, h, conf, ...); GT rows
    with conf == 0 are dropped.  `iou` is the CLEAR / Identity threshold (HOTA
    uses its own 19 thresholds)."""
    seq = _Sequence(gt_rows, result_rows)
    res = {}
    clear, _ = _clear(seq, iou)
    res.update(clear)
    res.update(_identity(seq, iou))
    hota = hota_per_alpha(seq)
    for name in ('HOTA', 'DetA', 'AssA', 'LocA', 'DetRe', 'DetPr', 'AssRe', 'AssPr'):
        res[name] = float(np.mean(hota[name]))
    res['num_frames'] = len(seq.frames)
    res['num_gt_dets'] = seq.num_gt_dets
    res['num_tracker_dets'] = seq.num_tr_dets
    res['num_gt_ids'] = seq.num_gt_ids
    res['num_tracker_ids'] = seq.num_tr_ids
    return {k: (int(res[k]) if isinstance(res[k], (int, np.integer)) else float(res[k]))
            for k in METRIC_ORDER}


def clear_matches(gt_rows, result_rows, iou=0.5):
    """The CLEAR matching: {gt_id: {frame: tracker_id}} for every TP."""
    _, matches = _clear(_Sequence(gt_rows, result_rows), iou)
    return matches


def occlusion_id_kept(gt_rows, result_rows, occlusions, iou=0.5, window=5):
    """Counts occlusions after which the GT object got back the tracker id it had
    before (see the module docstring).  Returns (kept, total)."""
    matches = clear_matches(gt_rows, result_rows, iou)
    kept = 0
    for occ in occlusions:
        f0, f1 = int(occ['hidden_from']), int(occ['hidden_to'])
        by_frame = matches.get(int(occ['id']), {})
        before = [f for f in by_frame if f < f0]
        after = [f for f in by_frame if f1 < f <= f1 + window]
        if before and after and by_frame[max(before)] == by_frame[min(after)]:
            kept += 1
    return kept, len(occlusions)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(
        description='MOTChallenge metrics (HOTA, CLEAR MOT, IDF1) of one sequence, '
                    'following TrackEval\'s definitions.')
    parser.add_argument('gt', help='ground truth, MOTChallenge gt.txt')
    parser.add_argument('results', help='tracker output, MOTChallenge text')
    parser.add_argument('--iou', type=float, default=0.5, help='CLEAR/Identity IoU threshold')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    parser.add_argument('--occlusions', help='occlusions.json: also report occlusion_id_kept')
    parser.add_argument('--window', type=int, default=5, help='frames after an occlusion to look for the id')
    args = parser.parse_args(argv)
    try:
        gt = read_mot(args.gt, is_gt=True)
        res = read_mot(args.results)
        metrics = evaluate(gt, res, args.iou)
        if args.occlusions:
            with open(args.occlusions) as f:
                occlusions = json.load(f)
            kept, total = occlusion_id_kept(gt, res, occlusions, args.iou, args.window)
            metrics['occlusion_kept'] = kept
            metrics['occlusion_total'] = total
            metrics['occlusion_kept_rate'] = kept / total if total else 0.0
    except (OSError, ValueError) as e:  # MotFormatError and json errors are ValueErrors
        print('mot_metrics: %s' % e if not isinstance(e, MotFormatError) else str(e),
              file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(metrics))
    else:
        for name, value in metrics.items():
            print('%s %s' % (name, value if isinstance(value, int) else '%.6f' % value))
    return 0


if __name__ == '__main__':
    sys.exit(main())
