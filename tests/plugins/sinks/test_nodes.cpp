// Node types that exist only for the sink tests: deterministic results for every frame
// (what a detector, a classifier and a segmenter would send), and a half-size frame with
// its transform, so the sinks' drawing and geometry can be checked pixel by pixel.
#include <opencv2/imgproc.hpp>

#include "sluice/sluice.h"

namespace sluice::sink_test_nodes {

// Per frame of source size W x H (the source frame's, else the input's):
//   detections: {box (W/8, H/8, W/4, H/4), 0.9, class 1 "person", landmarks (3W/16, H/4)
//                and (5W/16, H/4), track 7, classes [{2, 0.75, "smile"}]},
//               {box (W/2, H/2, W/4, H/4), 0.5, class 2 "dog"}
//   classifications: [{3, 0.8, "indoor"}, {4, 0.2, "outdoor"}]
//   mask: (W/2) x (H/2), CV_8U, class 1 in its left half, transform = scale 0.5 of the
//         source frame; labels ["background", "person"]
class Annotations final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "sinktest_annotations",
      .kind = NodeKind::kPostprocessor,
      .description = "Deterministic detections, classes and mask per frame.",
      .stateless = true};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Detections> kDetections{"detections", "two detections"};
  static constexpr Output<Classifications> kClassifications{"classifications", "two classes"};
  static constexpr Output<SegmentationMask> kMask{"mask", "left half is class 1"};
  SLUICE_CONTRACT(kInfo, kIn, kDetections, kClassifications, kMask);

  Status process(Context& ctx) override {
    const PacketHeader& h = ctx.header();
    const cv::Mat& source = h.source_frame ? h.source_frame->image : ctx.get(kIn).image;
    const auto w = static_cast<float>(source.cols), ht = static_cast<float>(source.rows);

    Detections d;
    Detection person;
    person.box = cv::Rect2f(w / 8, ht / 8, w / 4, ht / 4);
    person.score = 0.9f;
    person.class_id = 1;
    person.label = "person";
    person.landmarks = {{3 * w / 16, ht / 4}, {5 * w / 16, ht / 4}};
    person.track_id = 7;
    person.classes = {{2, 0.75f, "smile"}};
    d.items.push_back(person);
    Detection dog;
    dog.box = cv::Rect2f(w / 2, ht / 2, w / 4, ht / 4);
    dog.score = 0.5f;
    dog.class_id = 2;
    dog.label = "dog";
    d.items.push_back(dog);
    ctx.send(kDetections, std::move(d));

    ctx.send(kClassifications, Classifications{{{3, 0.8f, "indoor"}, {4, 0.2f, "outdoor"}}});

    SegmentationMask m;
    m.mask = cv::Mat::zeros(source.rows / 2, source.cols / 2, CV_8U);
    m.mask.colRange(0, m.mask.cols / 2).setTo(1);
    m.labels = {"background", "person"};
    PacketHeader mh = h;
    mh.transform = Affine2D::scale_translate(0.5, 0.5, 0, 0);
    ctx.send(kMask, std::move(m), mh);
    return ok();
  }
};

// The frame at half size, its transform composed, as a resizing preprocessor sends it.
class Half final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "sinktest_half",
                                  .kind = NodeKind::kPreprocessor,
                                  .description = "Halves each frame, recording the transform.",
                                  .stateless = true};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Frame> kOut{"out", "frames at half size"};
  SLUICE_CONTRACT(kInfo, kIn, kOut);

  Status process(Context& ctx) override {
    const Frame& in = ctx.get(kIn);
    Frame out;
    out.format = in.format;
    cv::resize(in.image, out.image, cv::Size(in.image.cols / 2, in.image.rows / 2), 0, 0,
               cv::INTER_AREA);
    PacketHeader h = ctx.header();
    h.transform = h.transform.then(Affine2D::scale_translate(0.5, 0.5, 0, 0));
    ctx.send(kOut, std::move(out), h);
    return ok();
  }
};

}  // namespace sluice::sink_test_nodes

SLUICE_EXPORT_NODES(sluice::sink_test_nodes::Annotations, sluice::sink_test_nodes::Half)
