// Node types that exist only for the preprocessor tests: a source of frames whose pixels
// say where they are, a "detector" with fixed boxes, a "classifier" whose result
// identifies the crop it saw, and a sink that checks attach_classifications' output
// against the source frame and writes what it saw as JSON.
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "sluice/sluice.h"

namespace sluice::preprocessors_test {

// Channel 0 of pixel (x, y) of frame seq of stream s is (x + 3y + 5seq + 40s) % 256, so a
// crop's mean tells where it came from and from which frame; channels 1 and 2 are 0 and 255.
class GradientSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{"gradient_source", NodeKind::kSource,
                                  "BGR frames whose blue channel encodes x, y, seq and stream."};
  static constexpr Output<Frame> kOut{"out", "frames"};
  static inline const Param<int64_t> kFrames{
      .name = "frames", .default_value = 10, .description = "per stream", .min = 1};
  static inline const Param<int> kStreams{
      .name = "streams", .default_value = 1, .description = "interleaved", .min = 1};
  static inline const Param<int> kWidth{
      .name = "width", .default_value = 96, .description = "", .min = 1, .max = 4096};
  static inline const Param<int> kHeight{
      .name = "height", .default_value = 64, .description = "", .min = 1, .max = 4096};
  SLUICE_CONTRACT(kInfo, kOut, kFrames, kStreams, kWidth, kHeight);

  static uint8_t value(int x, int y, int64_t seq, uint32_t stream) {
    return static_cast<uint8_t>((x + 3 * y + 5 * seq + 40 * stream) % 256);
  }
  Status open(const Params& p) override {
    frames_ = p.get(kFrames);
    streams_ = p.get(kStreams);
    width_ = p.get(kWidth);
    height_ = p.get(kHeight);
    return ok();
  }
  int streams() const override { return streams_; }
  int64_t expected_frames() const override { return frames_ * streams_; }
  Status process(Context& ctx) override {
    const int64_t seq = emitted_ / streams_;
    const auto stream = static_cast<uint32_t>(emitted_ % streams_);
    if (seq >= frames_) return end_of_stream();
    cv::Mat image(height_, width_, CV_8UC3);
    for (int y = 0; y < height_; ++y)
      for (int x = 0; x < width_; ++x)
        image.at<cv::Vec3b>(y, x) = {value(x, y, seq, stream), 0, 255};
    ctx.send(kOut, Frame{image, PixelFormat::kBGR}, ctx.source_header(stream, seq, 0));
    ++emitted_;
    return ok();
  }

 private:
  int64_t frames_ = 10, emitted_ = 0;
  int streams_ = 1, width_ = 96, height_ = 64;
};

// Fixed boxes for every frame; with cycle = true frame seq gets the first seq % (n + 1) of
// the n boxes, so some frames have none. Detection i has class_id i.
class FixedDetections final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "fixed_detections",
                                  .kind = NodeKind::kPostprocessor,
                                  .description = "Fixed boxes per frame (a stand-in detector).",
                                  .stateless = true};
  static constexpr Input<Any> kIn{"in", "frames or tensors"};
  static constexpr Output<Detections> kOut{"out", "the boxes"};
  static inline const Param<std::vector<double>> kBoxes{
      .name = "boxes", .default_value = {}, .description = "x, y, w, h of each box, flattened"};
  static inline const Param<bool> kCycle{
      .name = "cycle", .default_value = false, .description = "frame seq gets seq % (n+1) boxes"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kBoxes, kCycle);

  Status open(const Params& p) override {
    boxes_ = p.get(kBoxes);
    cycle_ = p.get(kCycle);
    if (boxes_.size() % 4 != 0) return invalid_argument("boxes: 4 numbers per box");
    return ok();
  }
  Status process(Context& ctx) override {
    const auto n = static_cast<int64_t>(boxes_.size() / 4);
    const int64_t k = cycle_ ? ctx.header().seq % (n + 1) : n;
    Detections d;
    for (int64_t i = 0; i < k; ++i) {
      Detection det;
      det.box =
          cv::Rect2f(static_cast<float>(boxes_[4 * i]), static_cast<float>(boxes_[4 * i + 1]),
                     static_cast<float>(boxes_[4 * i + 2]), static_cast<float>(boxes_[4 * i + 3]));
      det.class_id = static_cast<int>(i);
      det.score = 0.5f;
      d.items.push_back(det);
    }
    ctx.send(kOut, std::move(d));
    return ok();
  }

 private:
  std::vector<double> boxes_;
  bool cycle_ = false;
};

// A "classifier" whose one result identifies the crop: class_id = width * 1000 + height,
// score = the mean of channel 0. Fails (to test lost results) on crop 0 of `fail_seqs`.
class CropSignature final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      .type = "crop_signature",
      .kind = NodeKind::kModel,
      .description = "Classifications that identify the crop (size, mean).",
      .stateless = true};
  static constexpr Input<Frame> kIn{"in", "crops"};
  static constexpr Output<Classifications> kOut{"out", "one result"};
  static inline const Param<std::vector<int64_t>> kFailSeqs{
      .name = "fail_seqs", .default_value = {}, .description = "frames whose crop 0 fails"};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kFailSeqs);

  Status open(const Params& p) override {
    const auto v = p.get(kFailSeqs);
    fail_seqs_ = std::set<int64_t>(v.begin(), v.end());
    return ok();
  }
  Status process(Context& ctx) override {
    const PacketHeader& h = ctx.header();
    if (h.sub_index == 0 && fail_seqs_.count(h.seq)) return internal_error("injected failure");
    const cv::Mat& m = ctx.get(kIn).image;
    Classifications c;
    c.top.push_back({m.cols * 1000 + m.rows, static_cast<float>(cv::mean(m)[0]), "crop"});
    ctx.send(kOut, std::move(c));
    return ok();
  }

 private:
  std::set<int64_t> fail_seqs_;
};

// Checks each detection's classes against its box on the source frame (boxes must be
// whole pixels inside the frame, crops unexpanded): one result, class_id = w * 1000 + h
// and score = the box's mean of channel 0. Writes per stream [[seq, detections,
// classified, wrong], ...] in arrival order to `path`.
class AttachCheck final : public Node {
 public:
  static constexpr NodeInfo kInfo{"attach_check", NodeKind::kSink,
                                  "Checks attached classes against the source frame."};
  static constexpr Input<Detections> kIn{"in", "detections with classes"};
  static inline const Param<std::string> kPath{
      .name = "path", .description = "JSON out", .required = true, .is_path = true};
  SLUICE_CONTRACT(kInfo, kIn, kPath);

  Status open(const Params& p) override {
    path_ = p.get(kPath);
    return ok();
  }
  Status process(Context& ctx) override {
    const PacketHeader& h = ctx.header();
    if (!h.source_frame) return internal_error("the detections have no source frame");
    int classified = 0, wrong = 0;
    for (const Detection& d : ctx.get(kIn).items) {
      if (d.classes.empty()) continue;
      ++classified;
      const cv::Rect r(cv::Point(static_cast<int>(d.box.x), static_cast<int>(d.box.y)),
                       cv::Size(static_cast<int>(d.box.width), static_cast<int>(d.box.height)));
      const double mean = cv::mean(h.source_frame->image(r))[0];
      const Classification& c = d.classes[0];
      if (d.classes.size() != 1 || c.class_id != r.width * 1000 + r.height ||
          std::abs(c.score - mean) > 1e-3)
        ++wrong;
    }
    rows_[h.stream_id].push_back("[" + std::to_string(h.seq) + ", " +
                                 std::to_string(ctx.get(kIn).items.size()) + ", " +
                                 std::to_string(classified) + ", " + std::to_string(wrong) + "]");
    return ok();
  }
  Status close(Context&) override {
    std::ofstream out(path_);
    out << "{";
    bool first = true;
    for (const auto& [stream, rows] : rows_) {
      out << (first ? "" : ", ") << "\"" << stream << "\": [";
      for (std::size_t i = 0; i < rows.size(); ++i) out << (i ? ", " : "") << rows[i];
      out << "]";
      first = false;
    }
    out << "}\n";
    return out ? ok() : internal_error("cannot write " + path_);
  }

 private:
  std::string path_;
  std::map<uint32_t, std::vector<std::string>> rows_;
};

}  // namespace sluice::preprocessors_test

SLUICE_EXPORT_NODES(sluice::preprocessors_test::GradientSource,
                    sluice::preprocessors_test::FixedDetections,
                    sluice::preprocessors_test::CropSignature,
                    sluice::preprocessors_test::AttachCheck)
