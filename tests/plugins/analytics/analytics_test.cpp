// line_crossing and zone_count through the NodeHarness, on tracks drawn by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "line_crossing.h"
#include "packet_support.h"
#include "sluice/testing/node_harness.h"
#include "zone_count.h"

namespace sluice::testing {
namespace {

using analytics::LineCrossing;
using analytics::ZoneCount;
using ::testing::HasSubstr;

// A 20x40 box whose bottom centre (its feet) is at (x, y).
Detection feet_at(float x, float y, int64_t track, const std::string& label = "person") {
  Detection d;
  d.box = cv::Rect2f(x - 10, y - 40, 20, 40);
  d.score = 0.9f;
  d.track_id = track;
  d.label = label;
  return d;
}

// Pushes one frame and returns its Events (the detections are forwarded too).
Events frame(NodeHarness& h, std::vector<Detection> d, int64_t seq, uint32_t stream = 0,
             int64_t pts_us = -1) {
  PacketHeader header = test::at(stream, seq, pts_us < 0 ? seq * 100000 : pts_us);
  EXPECT_TRUE(h.push(LineCrossing::kIn, Detections{d}, header).ok());
  EXPECT_EQ(h.pull(LineCrossing::kOut).get_if<Detections>()->items.size(), d.size());
  return *h.pull(LineCrossing::kEvents).get_if<Events>();
}

int64_t count(const Events& e, const std::string& what, const std::string& label = "",
              std::size_t region = 0) {
  for (const RegionCount& c : e.regions.at(region).counts)
    if (c.what == what && c.label == label) return c.value;
  return 0;
}

TEST(LineCrossing, ATrackWalkingAcrossCountsOnceEachWayWithAnEvent) {
  // A horizontal segment from (100, 200) to (300, 200): "in" is downwards.
  auto h = NodeHarness::load("line_crossing", "lines = [\"door: 100,200 300,200\"]");
  int64_t seq = 0;
  std::vector<Events> events;
  for (float y : {150.f, 180.f, 199.f, 201.f, 210.f, 240.f})  // down, through the margin band
    events.push_back(frame(h, {feet_at(150, y, 7)}, seq++));
  // The crossing is seen at y = 210 (first point 2 px past), from the last point before
  // the band, y = 180: it meets the line at (150, 200).
  for (std::size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].items.size(), i == 4 ? 1u : 0u) << "frame " << i;
  const Event& e = events[4].items.at(0);
  EXPECT_EQ(e.kind, "line_crossing");
  EXPECT_EQ(e.region, "door");
  EXPECT_EQ(e.direction, "in");
  EXPECT_EQ(e.track_id, 7);
  EXPECT_EQ(e.label, "person");
  EXPECT_NEAR(e.point.x, 150, 1e-3);
  EXPECT_NEAR(e.point.y, 200, 1e-3);
  EXPECT_EQ(count(events.back(), "in"), 1);
  EXPECT_EQ(count(events.back(), "in", "person"), 1);
  EXPECT_EQ(count(events.back(), "out"), 0);
  // The line is in every frame's Events, for drawing.
  EXPECT_EQ(events[0].regions.at(0).name, "door");
  EXPECT_EQ(events[0].regions.at(0).points.size(), 2u);
  EXPECT_FALSE(events[0].regions.at(0).closed);
  // Back up: "out".
  const Events back = frame(h, {feet_at(150, 150, 7)}, seq++);
  ASSERT_EQ(back.items.size(), 1u);
  EXPECT_EQ(back.items[0].direction, "out");
  EXPECT_EQ(count(back, "out"), 1);
  EXPECT_EQ(count(back, "in"), 1);
}

TEST(LineCrossing, JitterOnTheLineAndPassingBesideItCountNothing) {
  auto h = NodeHarness::load("line_crossing", "lines = [\"100,200 300,200\"]\nmargin = 3");
  int64_t seq = 0;
  // Feet on the line, wobbling by 2 px (within the margin), after coming from above.
  frame(h, {feet_at(200, 190, 1)}, seq++);
  for (float y : {199.f, 202.f, 198.f, 201.f, 199.5f})
    EXPECT_TRUE(frame(h, {feet_at(200, y, 1)}, seq++).items.empty());
  // Another walks down beside the segment (x = 350): no crossing of it.
  for (float y : {150.f, 250.f}) EXPECT_TRUE(frame(h, {feet_at(350, y, 2)}, seq++).items.empty());
  // The first steps off it on the side it came from: still nothing.
  const Events last = frame(h, {feet_at(200, 190, 1)}, seq++);
  EXPECT_TRUE(last.items.empty());
  EXPECT_EQ(count(last, "in"), 0);
  EXPECT_EQ(last.regions.at(0).name, "line0");  // unnamed: line + index
}

TEST(LineCrossing, ATrackUnseenForAFewFramesStillCountsAndUntrackedBoxesAreCounted) {
  auto h = NodeHarness::load("line_crossing", "lines = [\"100,200 300,200\"]");
  frame(h, {feet_at(150, 180, 4)}, 0);
  frame(h, {feet_at(50, 50, -1)}, 1);  // no track id: ignored, counted
  const Events after_gap = frame(h, {feet_at(160, 230, 4)}, 5);
  ASSERT_EQ(after_gap.items.size(), 1u);
  EXPECT_EQ(after_gap.items[0].direction, "in");
  EXPECT_EQ(h.counters().at("untracked"), 1);
}

TEST(LineCrossing, CountsAreKeptPerClassAndPerStreamAndFreedAtItsEnd) {
  auto h = NodeHarness::load("line_crossing", "lines = [\"100,200 300,200\"]");
  ASSERT_TRUE(h.start_stream(0).ok());
  ASSERT_TRUE(h.start_stream(1).ok());
  frame(h, {feet_at(150, 180, 1), feet_at(250, 180, 2, "bicycle")}, 0, 0);
  frame(h, {feet_at(150, 180, 1)}, 0, 1);
  const Events s0 = frame(h, {feet_at(150, 220, 1), feet_at(250, 220, 2, "bicycle")}, 1, 0);
  const Events s1 = frame(h, {feet_at(150, 220, 1)}, 1, 1);
  EXPECT_EQ(count(s0, "in"), 2);
  EXPECT_EQ(count(s0, "in", "person"), 1);
  EXPECT_EQ(count(s0, "in", "bicycle"), 1);
  EXPECT_EQ(count(s1, "in"), 1);
  ASSERT_TRUE(h.end_stream(0).ok());
  ASSERT_TRUE(h.start_stream(2).ok());
  EXPECT_EQ(count(frame(h, {}, 0, 2), "in"), 0);
  EXPECT_EQ(count(frame(h, {}, 2, 1), "in"), 1);
}

TEST(LineCrossing, FractionsAreOfTheSourceFrameAndNeedOne) {
  auto h = NodeHarness::load("line_crossing", "lines = [\"0.25,0.5 0.75,0.5\"]");
  PacketHeader header = test::at(0, 0);
  header.source_frame = std::make_shared<const Frame>(Frame{cv::Mat(400, 400, CV_8UC3)});
  ASSERT_TRUE(h.push(LineCrossing::kIn, Detections{}, header).ok());
  const Events e = *h.pull(LineCrossing::kEvents).get_if<Events>();
  EXPECT_EQ(e.regions.at(0).points.at(0), cv::Point2f(100, 200));
  EXPECT_EQ(e.regions.at(0).points.at(1), cv::Point2f(300, 200));
  // Without a source frame, fractions cannot be placed.
  const Status s = h.push(LineCrossing::kIn, Detections{}, test::at(1, 0));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("carry no source frame"));
  EXPECT_THAT(s.message(), HasSubstr("units = \"pixels\""));
}

TEST(LineCrossing, BadLinesAreClearErrorsAtOpen) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"lines = [\"door: 1,2\"]",
       "lines[0]: 'door: 1,2': a line needs 2 points \"x,y x,y\", got 1"},
      {"lines = [\"1,2 3;4\"]", "lines[0]: '1,2 3;4': '3;4' is not a point \"x,y\""},
      {"lines = [\"a: 1,2 3,4\", \"a: 5,6 7,8\"]", "lines[1]: 'a: 5,6 7,8': the name 'a' is taken"},
      {"lines = [\"a: 1,2 1,2\"]", "lines: 'a' has two equal points"},
      {"lines = []", "lines is empty"},
      {"lines = [\"0,0 2,2\"]\nunits = \"fractions\"", "a point is outside 0..1"},
  };
  for (const auto& [params, error] : cases) {
    auto h = NodeHarness::try_load("line_crossing", params);
    ASSERT_FALSE(h.ok()) << params;
    EXPECT_THAT(h.status().message(), HasSubstr(error)) << params;
  }
}

Events zone_frame(NodeHarness& h, std::vector<Detection> d, int64_t seq) {
  EXPECT_TRUE(h.push(ZoneCount::kIn, Detections{d}, test::at(0, seq, seq * 100000)).ok());
  h.pull(ZoneCount::kOut);
  return *h.pull(ZoneCount::kEvents).get_if<Events>();
}

TEST(ZoneCount, EnterAndExitEventsWithDwellAndOccupancyPerClass) {
  // A square zone from (100, 100) to (300, 300); frames 100 ms apart.
  auto h = NodeHarness::load("zone_count", "zones = [\"queue: 100,100 300,100 300,300 100,300\"]");
  EXPECT_EQ(count(zone_frame(h, {feet_at(50, 200, 1)}, 0), "inside"), 0);
  const Events in = zone_frame(h, {feet_at(150, 200, 1), feet_at(200, 200, 2, "dog")}, 1);
  ASSERT_EQ(in.items.size(), 2u);
  EXPECT_EQ(in.items[0].kind, "zone_enter");
  EXPECT_EQ(in.items[0].region, "queue");
  EXPECT_EQ(count(in, "inside"), 2);
  EXPECT_EQ(count(in, "inside", "dog"), 1);
  EXPECT_EQ(count(in, "entered", "person"), 1);
  EXPECT_TRUE(in.regions.at(0).closed);
  zone_frame(h, {feet_at(160, 200, 1), feet_at(200, 210, 2, "dog")}, 2);
  // Track 1 walks out at frame 4: it entered at frame 1, so it stayed 0.3 s.
  zone_frame(h, {feet_at(250, 200, 1), feet_at(200, 220, 2, "dog")}, 3);
  const Events out = zone_frame(h, {feet_at(350, 200, 1), feet_at(200, 230, 2, "dog")}, 4);
  ASSERT_EQ(out.items.size(), 1u);
  EXPECT_EQ(out.items[0].kind, "zone_exit");
  EXPECT_EQ(out.items[0].direction, "out");
  EXPECT_EQ(out.items[0].track_id, 1);
  EXPECT_NEAR(out.items[0].dwell_s, 0.3, 1e-9);
  EXPECT_EQ(count(out, "inside"), 1);
  EXPECT_EQ(count(out, "inside", "person"), 0);
  EXPECT_EQ(count(out, "entered"), 2);
}

TEST(ZoneCount, ATrackThatVanishesInsideLeavesWhenForgotten) {
  auto h = NodeHarness::load("zone_count",
                             "zones = [\"100,100 300,100 300,300 100,300\"]\nforget_frames = 5");
  zone_frame(h, {feet_at(150, 200, 3)}, 0);
  zone_frame(h, {feet_at(150, 200, 3)}, 1);
  for (int64_t seq = 2; seq <= 6; ++seq) EXPECT_EQ(count(zone_frame(h, {}, seq), "inside"), 1);
  const Events gone = zone_frame(h, {}, 7);
  ASSERT_EQ(gone.items.size(), 1u);
  EXPECT_EQ(gone.items[0].direction, "lost");
  EXPECT_NEAR(gone.items[0].dwell_s, 0.1, 1e-9);  // entered at frame 0, last seen at 1
  EXPECT_EQ(count(gone, "inside"), 0);
  EXPECT_EQ(gone.regions.at(0).name, "zone0");
}

TEST(ZoneCount, AZoneNeedsThreePointsAndAnArea) {
  auto few = NodeHarness::try_load("zone_count", "zones = [\"a: 1,1 2,2\"]");
  ASSERT_FALSE(few.ok());
  EXPECT_THAT(few.status().message(), HasSubstr("a zone needs at least 3 points, got 2"));
  auto flat = NodeHarness::try_load("zone_count", "zones = [\"a: 1,1 2,2 3,3\"]");
  ASSERT_FALSE(flat.ok());
  EXPECT_THAT(flat.status().message(), HasSubstr("zones: 'a' has no area"));
}

}  // namespace
}  // namespace sluice::testing
