// The tracker: its assignment against brute force, its Kalman filter on a known motion,
// the two-stage association on hand-made scenes, and the node's per-stream state.
#include "tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "box_kalman_filter.h"
#include "linear_assignment.h"
#include "multi_object_tracker.h"
#include "packet_support.h"
#include "sluice/testing/node_harness.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using tracking::CostMatrix;
using tracking::MultiObjectTracker;
using tracking::TrackerOptions;

Detection det(float x, float y, float w, float h, float score = 0.9f, int cls = 0) {
  Detection d;
  d.box = cv::Rect2f(x, y, w, h);
  d.score = score;
  d.class_id = cls;
  return d;
}

// The least sum of (cost - max_cost) over partial matchings of rows from `row` on to
// columns not `taken`, by trying every choice: a row takes one free column (at most
// max_cost) or none.
double brute_force(const CostMatrix& m, double max_cost, int row, std::vector<char>& taken) {
  if (row == m.rows) return 0;
  double best = brute_force(m, max_cost, row + 1, taken);  // row left out
  for (int c = 0; c < m.cols; ++c) {
    if (taken[static_cast<std::size_t>(c)] || m.at(row, c) > max_cost) continue;
    taken[static_cast<std::size_t>(c)] = 1;
    best = std::min(best, m.at(row, c) - max_cost + brute_force(m, max_cost, row + 1, taken));
    taken[static_cast<std::size_t>(c)] = 0;
  }
  return best;
}

double cost_of(const CostMatrix& m, double max_cost, const std::vector<int>& col_of_row) {
  // Every row and column left out costs max_cost / 2 each, a taken pair its cost.
  double total = 0;
  int pairs = 0;
  for (int r = 0; r < m.rows; ++r)
    if (col_of_row[static_cast<std::size_t>(r)] >= 0) {
      total += m.at(r, col_of_row[static_cast<std::size_t>(r)]);
      ++pairs;
    }
  return total + max_cost / 2 * (m.rows - pairs + m.cols - pairs);
}

TEST(LinearAssignment, OptimalEqualsBruteForceOnRandomMatrices) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> cost(0.0, 1.0);
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + trial % 5, cols = 1 + (trial / 5) % 6;
    CostMatrix m{rows, cols, std::vector<double>(static_cast<std::size_t>(rows * cols))};
    for (double& c : m.cost) c = cost(rng);
    const double max_cost = trial % 3 == 0 ? 2.0 : 0.6;
    const std::vector<int> got = tracking::assign_optimal(m, max_cost);
    // A valid partial matching: distinct columns, no pair above max_cost.
    std::vector<int> used;
    for (int r = 0; r < rows; ++r) {
      const int c = got[static_cast<std::size_t>(r)];
      if (c < 0) continue;
      EXPECT_LE(m.at(r, c), max_cost);
      used.push_back(c);
    }
    std::sort(used.begin(), used.end());
    EXPECT_EQ(std::adjacent_find(used.begin(), used.end()), used.end());
    // Every row and column left out costs max_cost / 2: (rows + cols) * max_cost / 2 plus
    // (cost - max_cost) per pair taken.
    std::vector<char> taken(static_cast<std::size_t>(cols), 0);
    const double best = (rows + cols) * max_cost / 2 + brute_force(m, max_cost, 0, taken);
    EXPECT_NEAR(cost_of(m, max_cost, got), best, 1e-9) << "trial " << trial;
  }
}

TEST(LinearAssignment, TheOptimalMatchingBeatsGreedyWhereGreedyIsShortSighted) {
  // Greedy takes (0,0) at 0.1 first and leaves row 1 with column 1 at 0.9 (gated out at
  // 0.8): one pair. The optimum is (0,1) + (1,0) = 0.3 + 0.2, two pairs.
  const CostMatrix m{2, 2, {0.1, 0.3, 0.2, 0.9}};
  EXPECT_EQ(tracking::assign_greedy(m, 0.8), (std::vector<int>{0, -1}));
  EXPECT_EQ(tracking::assign_optimal(m, 0.8), (std::vector<int>{1, 0}));
  // One cheap pair beats two dear ones: leaving row 1 and column 1 out costs 0.8, less than
  // 0.7 + 0.75 - 0.1 (lap's cost_limit rule, which ByteTrack uses).
  const CostMatrix dear{2, 2, {0.1, 0.7, 0.75, 2.0}};
  EXPECT_EQ(tracking::assign_optimal(dear, 0.8), (std::vector<int>{0, -1}));
  // More rows than columns, and empty matrices.
  const CostMatrix tall{3, 1, {0.5, 0.2, 0.4}};
  EXPECT_EQ(tracking::assign_optimal(tall, 1.0), (std::vector<int>{-1, 0, -1}));
  EXPECT_EQ(tracking::assign_optimal(CostMatrix{0, 3, {}}, 1.0), std::vector<int>{});
  EXPECT_EQ(tracking::assign_optimal(CostMatrix{2, 0, {}}, 1.0), (std::vector<int>{-1, -1}));
}

TEST(BoxKalmanFilter, LearnsAConstantVelocityAndPredictsAlongIt) {
  cv::Rect2f box(100, 200, 40, 100);
  tracking::BoxKalmanFilter f(box);
  for (int i = 0; i < 30; ++i) {
    box.x += 3;
    box.y -= 1;
    f.predict();
    f.update(box);
  }
  EXPECT_NEAR(f.velocity().x, 3.0, 0.05);
  EXPECT_NEAR(f.velocity().y, -1.0, 0.05);
  // Ten frames unseen: the prediction follows the motion, the size is held.
  f.hold_size();
  for (int i = 0; i < 10; ++i) f.predict();
  EXPECT_NEAR(f.box().x, box.x + 30, 1.0);
  EXPECT_NEAR(f.box().y, box.y - 10, 1.0);
  EXPECT_NEAR(f.box().width, 40, 0.5);
  EXPECT_NEAR(f.box().height, 100, 0.5);
}

// Two objects walking towards each other along one row, their boxes overlapping as they
// pass: each keeps its id, which a nearest-box rule without motion loses.
std::vector<std::vector<Detection>> crossing_scene() {
  std::vector<std::vector<Detection>> frames;
  for (int f = 0; f < 40; ++f)
    frames.push_back({det(100 + 8.f * f, 100, 40, 100), det(420 - 8.f * f, 104, 40, 100)});
  return frames;
}

TEST(MultiObjectTracker, ObjectsThatCrossKeepTheirIds) {
  MultiObjectTracker t(TrackerOptions{});
  const auto frames = crossing_scene();
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const auto r = t.update(frames[f]);
    ASSERT_EQ(r.tracked.size(), 2u) << "frame " << f;
    // Output keeps the input's order: the first detection is always the object from the left.
    EXPECT_EQ(r.tracked[0].track_id, 1) << "frame " << f;
    EXPECT_EQ(r.tracked[1].track_id, 2) << "frame " << f;
    if (f >= 10) {  // the velocity is learnt: 8 px per frame, each its way
      EXPECT_NEAR(r.tracked[0].velocity.x, 8.0, 0.5) << "frame " << f;
      EXPECT_NEAR(r.tracked[1].velocity.x, -8.0, 0.5) << "frame " << f;
    }
  }
}

TEST(MultiObjectTracker, AnObjectHiddenForFifteenFramesComesBackWithItsId) {
  MultiObjectTracker t(TrackerOptions{});
  int64_t id = -1;
  for (int f = 0; f < 60; ++f) {
    std::vector<Detection> d;
    const bool hidden = f >= 20 && f < 35;
    if (!hidden) d.push_back(det(50 + 5.f * f, 300, 30, 80));
    const auto r = t.update(d);
    if (hidden) {
      EXPECT_TRUE(r.tracked.empty());
      ASSERT_EQ(r.lost.size(), 1u) << "frame " << f;
      // Lost, it is predicted along its motion.
      EXPECT_NEAR(r.lost[0].box.x, 50 + 5.f * f, 3.0) << "frame " << f;
      continue;
    }
    ASSERT_EQ(r.tracked.size(), 1u) << "frame " << f;
    if (id < 0) id = r.tracked[0].track_id;
    EXPECT_EQ(r.tracked[0].track_id, id) << "frame " << f;
    EXPECT_TRUE(r.lost.empty());
  }
  EXPECT_EQ(id, 1);
}

TEST(MultiObjectTracker, WithoutMotionTheSameOcclusionLosesTheId) {
  // The baseline: the track stays where it was last seen, 75 px behind the object.
  TrackerOptions o;
  o.motion = false;
  o.optimal = false;
  MultiObjectTracker t(o);
  std::set<int64_t> ids;
  for (int f = 0; f < 60; ++f) {
    if (f >= 20 && f < 35) {
      t.update({});
      continue;
    }
    for (const auto& d : t.update({det(50 + 5.f * f, 300, 30, 80)}).tracked) ids.insert(d.track_id);
  }
  EXPECT_EQ(ids.size(), 2u);
}

TEST(MultiObjectTracker, LowScoreDetectionsContinueTracksButStartNone) {
  MultiObjectTracker t(TrackerOptions{});
  ASSERT_EQ(t.update({det(100, 100, 40, 100, 0.9f)}).tracked.size(), 1u);
  // Partly hidden, the object scores 0.3: the second stage keeps it on its track...
  auto r = t.update({det(102, 100, 40, 100, 0.3f), det(400, 100, 40, 100, 0.3f)});
  ASSERT_EQ(r.tracked.size(), 1u);
  EXPECT_EQ(r.tracked[0].track_id, 1);
  EXPECT_FLOAT_EQ(r.tracked[0].score, 0.3f);
  // ...and the lone low-score box elsewhere starts nothing, then or later.
  r = t.update({det(104, 100, 40, 100, 0.9f), det(400, 100, 40, 100, 0.3f)});
  ASSERT_EQ(r.tracked.size(), 1u);
  EXPECT_EQ(t.track_count(), 1u);
  // Below low_score, detections are ignored altogether.
  r = t.update({det(106, 100, 40, 100, 0.05f)});
  EXPECT_TRUE(r.tracked.empty());
  EXPECT_EQ(r.lost.size(), 1u);
}

TEST(MultiObjectTracker, ANewObjectGetsAnIdAfterMinHitsAndAFlickerNone) {
  TrackerOptions o;
  o.min_hits = 3;
  MultiObjectTracker t(o);
  // On a stream's first frame, objects are confirmed at once.
  EXPECT_EQ(t.update({det(0, 0, 40, 100)}).tracked.size(), 1u);
  // A second object appears: tentative for two frames, an id on its third.
  for (int f = 1; f <= 3; ++f) {
    const auto r = t.update({det(0, 0, 40, 100), det(300, 0, 40, 100)});
    ASSERT_EQ(r.tracked.size(), f < 3 ? 1u : 2u) << "frame " << f;
    if (f == 3) {
      EXPECT_EQ(r.tracked[1].track_id, 2);
    }
  }
  // A flicker (one frame) is dropped and uses no id: the next object is 3.
  t.update({det(0, 0, 40, 100), det(600, 0, 40, 100)});
  for (int f = 0; f < 3; ++f) t.update({det(0, 0, 40, 100), det(600, 300, 40, 100)});
  const auto r = t.update({det(0, 0, 40, 100), det(600, 300, 40, 100)});
  ASSERT_EQ(r.tracked.size(), 2u);
  EXPECT_EQ(r.tracked[1].track_id, 3);
}

TEST(MultiObjectTracker, ATrackUnseenForMoreThanLostFramesIsDropped) {
  TrackerOptions o;
  o.lost_frames = 5;
  MultiObjectTracker t(o);
  t.update({det(100, 100, 40, 100)});
  for (int f = 0; f < 5; ++f) EXPECT_EQ(t.update({}).lost.size(), 1u) << f;
  EXPECT_TRUE(t.update({}).lost.empty());
  EXPECT_EQ(t.track_count(), 0u);
  // Back at the same place, it is a new object.
  t.update({det(100, 100, 40, 100)});
  EXPECT_EQ(t.update({det(100, 100, 40, 100)}).tracked.at(0).track_id, 2);
}

TEST(MultiObjectTracker, PerClassTracksNeverTakeAnotherClass) {
  for (bool per_class : {false, true}) {
    TrackerOptions o;
    o.per_class = per_class;
    MultiObjectTracker t(o);
    t.update({det(100, 100, 40, 100, 0.9f, 0)});
    // The same box, now called class 2 (a person becoming a bicycle).
    const auto r = t.update({det(100, 100, 40, 100, 0.9f, 2)});
    if (per_class)
      EXPECT_TRUE(r.tracked.empty());  // a new, tentative track
    else
      EXPECT_EQ(r.tracked.at(0).track_id, 1);
  }
}

TEST(MultiObjectTracker, TheSameInputGivesTheSameIds) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0, 600);
  std::vector<std::vector<Detection>> frames(50);
  for (auto& f : frames)
    for (int i = 0; i < 20; ++i) f.push_back(det(u(rng), u(rng), 40, 100, u(rng) / 600));
  auto run = [&] {
    MultiObjectTracker t(TrackerOptions{});
    std::vector<int64_t> ids;
    for (const auto& f : frames)
      for (const auto& d : t.update(f).tracked) ids.push_back(d.track_id);
    return ids;
  };
  const auto first = run();
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(run(), first);
}

TEST(TrackerNode, EachStreamHasItsOwnIdsAndAnEndedStreamsStateIsFreed) {
  auto h = NodeHarness::load("tracker", "min_hits = 1");
  using postprocessors::Tracker;
  ASSERT_TRUE(h.start_stream(0).ok());
  ASSERT_TRUE(h.start_stream(1).ok());
  for (int64_t seq = 0; seq < 3; ++seq)
    for (uint32_t s : {0u, 1u}) {
      std::vector<Detection> d{det(10, 10, 40, 100)};
      if (s == 1) d.push_back(det(300, 10, 40, 100));
      ASSERT_TRUE(h.push(Tracker::kIn, Detections{d}, test::at(s, seq)).ok());
    }
  for (int64_t seq = 0; seq < 3; ++seq)
    for (uint32_t s : {0u, 1u}) {
      const Packet p = h.pull(Tracker::kOut);
      EXPECT_EQ(p.header().stream_id, s);
      const auto& items = p.get_if<Detections>()->items;
      ASSERT_EQ(items.size(), s == 0 ? 1u : 2u);
      EXPECT_EQ(items[0].track_id, 1);  // ids are per stream: both start at 1
      if (s == 1) {
        EXPECT_EQ(items[1].track_id, 2);
      }
      EXPECT_TRUE(h.pull(Tracker::kLost).get_if<Detections>()->items.empty());
    }
  // Stream 1 ends: its tracks go with it. Stream 0's go on.
  ASSERT_TRUE(h.end_stream(1).ok());
  ASSERT_TRUE(h.push(Tracker::kIn, Detections{{det(300, 10, 40, 100)}}, test::at(0, 3)).ok());
  const Packet out = h.pull(Tracker::kOut);
  const auto& items = out.get_if<Detections>()->items;
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].track_id, 2);  // stream 0's second object
  EXPECT_EQ(h.pull(Tracker::kLost).get_if<Detections>()->items.at(0).track_id, 1);
  // Had stream 1's tracker been kept, a stream under its id again would go on from id 3.
  ASSERT_TRUE(h.start_stream(1).ok());
  ASSERT_TRUE(h.push(Tracker::kIn, Detections{{det(10, 10, 40, 100)}}, test::at(1, 0)).ok());
  EXPECT_EQ(h.pull(Tracker::kOut).get_if<Detections>()->items.at(0).track_id, 1);
}

TEST(TrackerNode, InconsistentScoresAreClearErrorsAtOpen) {
  auto low = NodeHarness::try_load("tracker", "high_score = 0.4\nlow_score = 0.6");
  ASSERT_FALSE(low.ok());
  EXPECT_THAT(low.status().message(), HasSubstr("low_score (0.600000) is above high_score"));
  auto birth = NodeHarness::try_load("tracker", "high_score = 0.5\nnew_track_score = 0.3");
  ASSERT_FALSE(birth.ok());
  EXPECT_THAT(birth.status().message(), HasSubstr("new_track_score (0.300000) is below"));
  auto motion = NodeHarness::try_load("tracker", "motion = \"linear\"");
  ASSERT_FALSE(motion.ok());
  EXPECT_THAT(motion.status().message(), HasSubstr("motion"));
}

}  // namespace
}  // namespace sluice::testing
