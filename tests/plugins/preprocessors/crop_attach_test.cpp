// crop_detections and attach_classifications through the NodeHarness.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attach_classifications.h"
#include "crop_detections.h"
#include "preproc_test_util.h"

namespace sluice::preprocessors_test {
namespace {

using ::testing::HasSubstr;
using testing::NodeHarness;

Detection box(float x, float y, float w, float h, int class_id = 0) {
  Detection d;
  d.box = cv::Rect2f(x, y, w, h);
  d.class_id = class_id;
  return d;
}

// Detections of a frame, as a detector sends them: the header refers to the source frame.
Packet detections_on(const std::shared_ptr<const Frame>& frame, std::vector<Detection> items,
                     PacketHeader h = {}) {
  h.source_frame = frame;
  h.transform = Affine2D::scale_translate(0.5, 0.5, 0, 8);  // the detector's input (ignored)
  return Packet::make(std::move(h), Detections{std::move(items)});
}

std::vector<Packet> pull_all(NodeHarness& h, const std::string& port) {
  std::vector<Packet> out;
  while (h.pending(port)) out.push_back(h.pull(port));
  return out;
}

TEST(CropDetections, CropsFromTheSourceFrameSkipsSmallAndOutsideBoxesAndClamps) {
  auto h = NodeHarness::load("crop_detections", "min_size = 5");
  const cv::Mat image = pattern(100, 80);
  auto frame = std::make_shared<const Frame>(Frame{image, PixelFormat::kRGB});
  ASSERT_TRUE(h.push(preprocessors::CropDetections::kIn.name,
                     detections_on(frame,
                                   {box(10, 10, 20, 20, 0), box(0, 0, 2, 40, 1),
                                    box(90, 70, 20, 20, 2), box(200, 200, 10, 10, 3)},
                                   at(3, 7)))
                  .ok());
  const auto cropped = pull_all(h, "cropped");
  ASSERT_EQ(cropped.size(), 1u);
  const auto& kept = cropped[0].get_if<Detections>()->items;
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].class_id, 0);
  EXPECT_EQ(kept[1].class_id, 2);
  EXPECT_EQ(cropped[0].header().sub_index, -1);
  EXPECT_EQ(cropped[0].header().seq, 7);

  const auto crops = pull_all(h, "crops");
  ASSERT_EQ(crops.size(), 2u);
  const cv::Rect expected[] = {{10, 10, 20, 20}, {90, 70, 10, 10}};  // the second clamped
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const PacketHeader& ch = crops[i].header();
    EXPECT_EQ(ch.stream_id, 3u);
    EXPECT_EQ(ch.seq, 7);
    EXPECT_EQ(ch.sub_index, i);
    EXPECT_EQ(ch.sub_count, 2);
    const Frame& f = *crops[i].get_if<Frame>();
    EXPECT_EQ(f.format, PixelFormat::kRGB);
    EXPECT_EQ(cv::norm(f.image, image(expected[i]), cv::NORM_INF), 0);
    EXPECT_EQ(f.image.datastart, image.datastart);  // a view of the source frame
    // Source frame -> crop, not composed with the detector's transform.
    expect_near(ch.transform.apply(cv::Point2f(expected[i].tl())), {0, 0});
    expect_near(ch.transform.to_source({5, 5}), cv::Point2f(expected[i].tl()) + cv::Point2f(5, 5));
    EXPECT_EQ(ch.source_frame, frame);
  }
}

TEST(CropDetections, ExpandAndSquareGrowAboutTheCentre) {
  auto h = NodeHarness::load("crop_detections", "expand = 1.5\nsquare = true");
  auto frame = std::make_shared<const Frame>(Frame{pattern(100, 80)});
  ASSERT_TRUE(h.push(preprocessors::CropDetections::kIn.name,
                     detections_on(frame, {box(40, 30, 20, 10), box(0, 0, 10, 4)}))
                  .ok());
  const auto crops = pull_all(h, "crops");
  ASSERT_EQ(crops.size(), 2u);
  // 20x10 * 1.5 = 30x15, squared to 30x30 about the centre (50, 35).
  EXPECT_EQ(crops[0].get_if<Frame>()->image.size(), cv::Size(30, 30));
  expect_near(crops[0].header().transform.to_source({0, 0}), {35, 20});
  // 10x4 -> 15x15 about (5, 2): clamped to the frame's corner.
  EXPECT_EQ(crops[1].get_if<Frame>()->image.size(), cv::Size(13, 10));
  expect_near(crops[1].header().transform.to_source({0, 0}), {0, 0});
}

TEST(CropDetections, AFrameWithoutDetectionsSendsOnlyAnEmptyList) {
  auto h = NodeHarness::load("crop_detections");
  ASSERT_TRUE(
      h.push(preprocessors::CropDetections::kIn.name, Packet::make(at(0, 1), Detections{})).ok());
  EXPECT_EQ(h.pending(preprocessors::CropDetections::kCrops.name), 0u);
  ASSERT_EQ(h.pending(preprocessors::CropDetections::kCropped.name), 1u);
  EXPECT_TRUE(h.pull(preprocessors::CropDetections::kCropped).get_if<Detections>()->items.empty());
  // Non-finite and negative boxes get no crop either.
  auto frame = std::make_shared<const Frame>(Frame{pattern(10, 10)});
  ASSERT_TRUE(h.push(preprocessors::CropDetections::kIn.name,
                     detections_on(frame, {box(NAN, 0, 4, 4), box(1, 1, -3, 4)}))
                  .ok());
  EXPECT_EQ(h.pending(preprocessors::CropDetections::kCrops.name), 0u);
  EXPECT_TRUE(h.pull(preprocessors::CropDetections::kCropped).get_if<Detections>()->items.empty());
}

TEST(CropDetections, ClearErrors) {
  auto h = NodeHarness::load("crop_detections");
  EXPECT_THAT(h.push(preprocessors::CropDetections::kIn.name,
                     Packet::make(at(0, 0), Detections{{box(0, 0, 4, 4)}}))
                  .message(),
              HasSubstr("the detections carry no source frame to crop from"));
  PacketHeader sub = at(0, 0);
  sub.sub_index = 1;
  sub.sub_count = 2;
  EXPECT_EQ(
      h.push(preprocessors::CropDetections::kIn.name, Packet::make(sub, Detections{})).message(),
      "the detections are a sub-packet already (sub_index 1): crops of crops are not "
      "supported");
  EXPECT_THAT(NodeHarness::try_load("crop_detections", "expand = 0.0").status().message(),
              HasSubstr("expand"));
}

// ---- attach_classifications ----

class Attach : public ::testing::Test {
 protected:
  Attach() : h_(NodeHarness::load("attach_classifications")) {}

  Status detections(uint32_t stream, int64_t seq, int n) {
    Detections d;
    for (int i = 0; i < n; ++i) d.items.push_back(box(static_cast<float>(i), 0, 1, 1, 100 + i));
    return h_.push(preprocessors::AttachClassifications::kDetections.name,
                   Packet::make(at(stream, seq), std::move(d)));
  }
  // The classifier's result for crop `index` of `count`: class id seq * 10 + index.
  Status result(uint32_t stream, int64_t seq, int index, int count) {
    PacketHeader h = at(stream, seq);
    h.sub_index = index;
    h.sub_count = count;
    Classifications c;
    c.top.push_back({static_cast<int>(seq * 10 + index), 0.9f, "c"});
    return h_.push(preprocessors::AttachClassifications::kClasses.name,
                   Packet::make(h, std::move(c)));
  }
  // The (stream, seq) of every output so far, and checks each detection's classes.
  std::vector<std::pair<uint32_t, int64_t>> sent(std::vector<int>* unclassified = nullptr) {
    std::vector<std::pair<uint32_t, int64_t>> out;
    while (h_.pending(preprocessors::AttachClassifications::kOut.name)) {
      const Packet p = h_.pull(preprocessors::AttachClassifications::kOut);
      const auto& items = p.get_if<Detections>()->items;
      for (std::size_t i = 0; i < items.size(); ++i) {
        EXPECT_EQ(items[i].class_id, 100 + static_cast<int>(i));
        if (items[i].classes.empty()) {
          if (unclassified) unclassified->push_back(static_cast<int>(p.header().seq * 10 + i));
          continue;
        }
        EXPECT_EQ(items[i].classes.size(), 1u);
        EXPECT_EQ(items[i].classes[0].class_id, p.header().seq * 10 + static_cast<int>(i))
            << "stream " << p.header().stream_id << " frame " << p.header().seq << " item " << i;
      }
      EXPECT_EQ(p.header().sub_index, -1);
      out.emplace_back(p.header().stream_id, p.header().seq);
    }
    return out;
  }
  using Sent = std::vector<std::pair<uint32_t, int64_t>>;

  NodeHarness h_;
};

// attach_values is the same node for Values (one implementation): each crop's named
// numbers land on its detection, replacing values of the same name, keeping the others.
TEST(AttachValues, EachDetectionGetsItsCropsValues) {
  auto h = NodeHarness::load("attach_values");
  Detections d;
  for (int i = 0; i < 2; ++i) {
    d.items.push_back(box(static_cast<float>(i), 0, 1, 1, i));
    d.items.back().values = {{"age", 1}, {"female", 0.5f}};
  }
  ASSERT_TRUE(
      h.push(preprocessors::AttachValues::kDetections.name, Packet::make(at(0, 0), d)).ok());
  for (int i : {1, 0}) {
    PacketHeader header = at(0, 0);
    header.sub_index = i;
    header.sub_count = 2;
    ASSERT_TRUE(h.push(preprocessors::AttachValues::kValues.name,
                       Packet::make(header, Values{{{"age", 20.f + static_cast<float>(i)}}}))
                    .ok());
  }
  const Packet out = h.pull(preprocessors::AttachValues::kOut);
  const auto& items = out.get_if<Detections>()->items;
  ASSERT_EQ(items.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(items[static_cast<std::size_t>(i)].values.size(), 2u);  // age replaced, female kept
    EXPECT_EQ(items[static_cast<std::size_t>(i)].values[0].name, "age");
    EXPECT_FLOAT_EQ(items[static_cast<std::size_t>(i)].values[0].value,
                    20.f + static_cast<float>(i));
  }
  // A result that is not about a crop names the node's own input.
  const Status s = h.push(preprocessors::AttachValues::kValues.name,
                          Packet::make(at(0, 1), Values{{{"age", 1}}}));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("`values` got a result that is not about a crop"));
}

// attach_embeddings likewise for Embedding: crop i's vector becomes detection i's, and a
// detection whose crop's result was lost is sent without one (not with another's).
TEST(AttachEmbeddings, EachDetectionGetsItsCropsEmbedding) {
  auto h = NodeHarness::load("attach_embeddings");
  Detections d;
  for (int i = 0; i < 2; ++i) {
    d.items.push_back(box(static_cast<float>(i), 0, 1, 1, i));
    d.items.back().embedding = {9, 9};  // replaced, not added to
  }
  ASSERT_TRUE(
      h.push(preprocessors::AttachEmbeddings::kDetections.name, Packet::make(at(0, 0), d)).ok());
  for (int i : {1, 0}) {
    PacketHeader header = at(0, 0);
    header.sub_index = i;
    header.sub_count = 2;
    ASSERT_TRUE(h.push(preprocessors::AttachEmbeddings::kEmbedding.name,
                       Packet::make(header, Embedding{{static_cast<float>(i), 1}}))
                    .ok());
  }
  const Packet out = h.pull(preprocessors::AttachEmbeddings::kOut);
  const auto& items = out.get_if<Detections>()->items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_THAT(items[0].embedding, ::testing::ElementsAre(0.f, 1.f));
  EXPECT_THAT(items[1].embedding, ::testing::ElementsAre(1.f, 1.f));
  // Frame 1's second crop result is lost: once frame 2's arrives, frame 1 leaves as it is.
  ASSERT_TRUE(
      h.push(preprocessors::AttachEmbeddings::kDetections.name, Packet::make(at(0, 1), d)).ok());
  PacketHeader first = at(0, 1);
  first.sub_index = 0;
  first.sub_count = 2;
  ASSERT_TRUE(h.push(preprocessors::AttachEmbeddings::kEmbedding.name,
                     Packet::make(first, Embedding{{5, 5}}))
                  .ok());
  PacketHeader later = at(0, 2);
  later.sub_index = 0;
  later.sub_count = 1;
  ASSERT_TRUE(h.push(preprocessors::AttachEmbeddings::kEmbedding.name,
                     Packet::make(later, Embedding{{7, 7}}))
                  .ok());
  const Packet partial = h.pull(preprocessors::AttachEmbeddings::kOut);
  const auto& kept = partial.get_if<Detections>()->items;
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_THAT(kept[0].embedding, ::testing::ElementsAre(5.f, 5.f));
  EXPECT_TRUE(kept[1].embedding.empty());
}

TEST_F(Attach, EachDetectionGetsItsOwnCropsResultInWhateverOrderTheyCome) {
  ASSERT_TRUE(detections(0, 0, 3).ok());
  ASSERT_TRUE(result(0, 0, 2, 3).ok());
  ASSERT_TRUE(result(0, 0, 0, 3).ok());
  EXPECT_TRUE(sent().empty());
  ASSERT_TRUE(result(0, 0, 1, 3).ok());
  EXPECT_EQ(sent(), (Sent{{0, 0}}));
  // Results before their detections.
  ASSERT_TRUE(result(0, 1, 0, 1).ok());
  EXPECT_TRUE(sent().empty());
  ASSERT_TRUE(detections(0, 1, 1).ok());
  EXPECT_EQ(sent(), (Sent{{0, 1}}));
}

TEST_F(Attach, AFrameWithoutCropsGoesAtOnceButNeverOvertakesAnEarlierFrame) {
  ASSERT_TRUE(detections(0, 0, 0).ok());
  EXPECT_EQ(sent(), (Sent{{0, 0}}));
  ASSERT_TRUE(detections(0, 1, 2).ok());
  ASSERT_TRUE(detections(0, 2, 0).ok());  // waits for frame 1
  ASSERT_TRUE(result(0, 1, 0, 2).ok());
  EXPECT_TRUE(sent().empty());
  ASSERT_TRUE(result(0, 1, 1, 2).ok());
  EXPECT_EQ(sent(), (Sent{{0, 1}, {0, 2}}));
}

TEST_F(Attach, StreamsAreIndependent) {
  ASSERT_TRUE(detections(0, 0, 1).ok());
  ASSERT_TRUE(detections(1, 0, 1).ok());
  ASSERT_TRUE(detections(1, 1, 0).ok());
  ASSERT_TRUE(result(1, 0, 0, 1).ok());
  EXPECT_EQ(sent(), (Sent{{1, 0}, {1, 1}}));
  ASSERT_TRUE(result(0, 0, 0, 1).ok());
  EXPECT_EQ(sent(), (Sent{{0, 0}}));
}

TEST_F(Attach, ALostResultIsGivenUpOnceALaterFramesResultArrives) {
  ASSERT_TRUE(detections(0, 0, 2).ok());
  ASSERT_TRUE(result(0, 0, 1, 2).ok());  // crop 0's result was lost
  ASSERT_TRUE(detections(0, 1, 1).ok());
  EXPECT_TRUE(sent().empty());
  ASSERT_TRUE(result(0, 1, 0, 1).ok());
  std::vector<int> unclassified;
  EXPECT_EQ(sent(&unclassified), (Sent{{0, 0}, {0, 1}}));
  EXPECT_EQ(unclassified, (std::vector<int>{0}));  // frame 0, detection 0
}

TEST_F(Attach, ResultsWhoseDetectionsWereLostAreDropped) {
  ASSERT_TRUE(result(0, 0, 0, 1).ok());  // frame 0's detections were lost
  ASSERT_TRUE(detections(0, 1, 0).ok());
  EXPECT_EQ(sent(), (Sent{{0, 1}}));
}

TEST_F(Attach, CloseSendsWhatIsLeftInOrder) {
  ASSERT_TRUE(detections(0, 0, 2).ok());
  ASSERT_TRUE(result(0, 0, 0, 2).ok());
  ASSERT_TRUE(detections(0, 1, 0).ok());
  ASSERT_TRUE(detections(1, 0, 1).ok());
  ASSERT_TRUE(result(2, 0, 0, 1).ok());  // no detections: dropped
  EXPECT_TRUE(sent().empty());
  ASSERT_TRUE(h_.close().ok());
  std::vector<int> unclassified;
  EXPECT_EQ(sent(&unclassified), (Sent{{0, 0}, {0, 1}, {1, 0}}));
  EXPECT_EQ(unclassified, (std::vector<int>{1, 0}));
}

TEST(AttachLimits, MaxPendingBoundsWhatAStreamHolds) {
  auto h = NodeHarness::load("attach_classifications", "max_pending = 2");
  for (int64_t seq = 0; seq < 3; ++seq) {
    Detections d{{box(0, 0, 1, 1)}};
    ASSERT_TRUE(
        h.push(preprocessors::AttachClassifications::kDetections.name, Packet::make(at(0, seq), d))
            .ok());
  }
  ASSERT_EQ(h.pending(preprocessors::AttachClassifications::kOut.name),
            1u);  // frame 0, sent without its result
  const Packet p = h.pull(preprocessors::AttachClassifications::kOut);
  EXPECT_EQ(p.header().seq, 0);
  EXPECT_TRUE(p.get_if<Detections>()->items[0].classes.empty());
  // Its result, late, is dropped; frame 1's completes it.
  PacketHeader r = at(0, 0);
  r.sub_index = 0;
  r.sub_count = 1;
  ASSERT_TRUE(h.push(preprocessors::AttachClassifications::kClasses.name,
                     Packet::make(r, Classifications{}))
                  .ok());
  r.seq = 1;
  ASSERT_TRUE(h.push(preprocessors::AttachClassifications::kClasses.name,
                     Packet::make(r, Classifications{{{7, 1.f, "x"}}}))
                  .ok());
  ASSERT_EQ(h.pending(preprocessors::AttachClassifications::kOut.name), 1u);
  EXPECT_EQ(h.pull(preprocessors::AttachClassifications::kOut)
                .get_if<Detections>()
                ->items[0]
                .classes[0]
                .class_id,
            7);
}

TEST_F(Attach, MiswiringIsAClearError) {
  // Raw detections (3) where crop_detections made 2 crops (one was too small).
  ASSERT_TRUE(detections(0, 0, 3).ok());
  EXPECT_EQ(result(0, 0, 0, 2).message(),
            "stream 0 frame 0 has 3 detections but 2 crops: `detections` must come from "
            "crop_detections' `cropped` output (not the detections crop_detections was given)");
  ASSERT_TRUE(result(0, 6, 0, 2).ok());
  EXPECT_THAT(detections(0, 6, 1).message(), HasSubstr("stream 0 frame 6 has 1 detections but 2"));
  EXPECT_THAT(result(0, 7, 0, 0).message(),
              HasSubstr("`classes` got a result that is not about a crop (sub_index 0 of 0)"));
  ASSERT_TRUE(result(0, 8, 0, 2).ok());
  EXPECT_THAT(result(0, 8, 0, 2).message(),
              HasSubstr("the result for crop 0 of stream 0 frame 8 arrived twice"));
  EXPECT_THAT(result(0, 8, 1, 3).message(), HasSubstr("disagree on the number of crops (2 and 3)"));
  EXPECT_THAT(detections(0, 6, 1).message(), HasSubstr("arrived twice or out of order"));
  PacketHeader sub = at(0, 9);
  sub.sub_index = 0;
  sub.sub_count = 1;
  EXPECT_THAT(h_.push(preprocessors::AttachClassifications::kDetections.name,
                      Packet::make(sub, Detections{}))
                  .message(),
              HasSubstr("`detections` got a sub-packet (sub_index 0)"));
}

}  // namespace
}  // namespace sluice::preprocessors_test
