// An out-of-tree sluice plugin: two node types in one library.
//
//   score_filter     (postprocessor)  keeps detections scoring >= min_score, best first,
//                                     at most top_k of them
//   fake_detections  (source)         emits `frames` packets of Detections with fixed
//                                     scores, to try score_filter in a real pipeline
//
// Built with sluice_add_plugin(score_filter ...) into sluice_score_filter.so; load it with
// `sluice run pipeline.toml --plugin-path <build dir>`.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sluice/sluice.h"

namespace score_filter {

// Keeps detections scoring at least `min_score`, best first, at most `top_k`.
//
//   [nodes.keep]
//   plugin = "score_filter"
//   min_score = 0.5
//   top_k = 100
class ScoreFilter final : public sluice::Node {
 public:
  static constexpr sluice::NodeInfo kInfo{
      .type = "score_filter",
      .kind = sluice::NodeKind::kPostprocessor,
      .description = "Keeps detections scoring at least min_score, best first, at most top_k.",
      .stateless = true};
  static constexpr sluice::Input<sluice::Detections> kIn{"in", "detections to filter"};
  static constexpr sluice::Output<sluice::Detections> kOut{"out", "kept detections, best first"};
  static inline const sluice::Param<float> kMinScore{.name = "min_score",
                                                     .default_value = 0.5f,
                                                     .description = "lowest score kept",
                                                     .min = 0.0,
                                                     .max = 1.0};
  static inline const sluice::Param<int> kTopK{.name = "top_k",
                                               .default_value = 100,
                                               .description = "most detections kept per packet",
                                               .min = 1,
                                               .max = 10000};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kMinScore, kTopK);

  sluice::Status open(const sluice::Params& p) override {
    min_score_ = p.get(kMinScore);
    top_k_ = p.get(kTopK);
    return sluice::ok();
  }

  sluice::Status process(sluice::Context& ctx) override {
    sluice::Detections kept;
    for (const auto& d : ctx.get(kIn).items)
      if (d.score >= min_score_) kept.items.push_back(d);  // NaN scores are dropped too
    // Best first; equal scores keep their input order.
    std::stable_sort(
        kept.items.begin(), kept.items.end(),
        [](const sluice::Detection& a, const sluice::Detection& b) { return a.score > b.score; });
    if (kept.items.size() > static_cast<std::size_t>(top_k_))
      kept.items.resize(static_cast<std::size_t>(top_k_));
    ctx.send(kOut, std::move(kept));
    return sluice::ok();
  }

 private:
  float min_score_ = 0.5f;
  int top_k_ = 100;
};

// Emits `frames` packets of Detections, each holding one detection per entry of `scores`
// (in that order), so score_filter can run in a pipeline without a model.
//
//   [nodes.src]
//   plugin = "fake_detections"
//   frames = 20
//   scores = [0.4, 0.95, 0.1, 0.7]
class FakeDetections final : public sluice::Node {
 public:
  static constexpr sluice::NodeInfo kInfo{
      "fake_detections", sluice::NodeKind::kSource,
      "Detections with fixed scores, for trying detection postprocessors."};
  static constexpr sluice::Output<sluice::Detections> kOut{
      "out", "one detection per score, in the given order"};
  static inline const sluice::Param<int64_t> kFrames{
      .name = "frames", .default_value = 10, .description = "packets to emit", .min = 0};
  static inline const sluice::Param<std::vector<double>> kScores{
      .name = "scores",
      .default_value = {0.4, 0.95, 0.1, 0.7},
      .description = "detection scores per packet",
      .min = 0.0,
      .max = 1.0};
  SLUICE_CONTRACT(kInfo, kOut, kFrames, kScores);

  sluice::Status open(const sluice::Params& p) override {
    frames_ = p.get(kFrames);
    scores_ = p.get(kScores);
    return sluice::ok();
  }
  int64_t expected_frames() const override { return frames_; }

  sluice::Status process(sluice::Context& ctx) override {
    if (seq_ >= frames_) return sluice::end_of_stream();
    sluice::Detections dets;
    for (std::size_t i = 0; i < scores_.size(); ++i) {
      sluice::Detection d;
      const auto x = static_cast<float>(10 + 40 * i);
      d.box = cv::Rect2f(x, 10.f, 32.f, 32.f);
      d.score = static_cast<float>(scores_[i]);
      d.class_id = static_cast<int>(i);
      d.label = "object" + std::to_string(i);
      dets.items.push_back(std::move(d));
    }
    ctx.send(kOut, std::move(dets),
             ctx.source_header(0, seq_, seq_ * 40'000));  // 25 fps timestamps
    ++seq_;
    return sluice::ok();
  }

 private:
  int64_t frames_ = 10;
  std::vector<double> scores_;
  int64_t seq_ = 0;
};

}  // namespace score_filter

SLUICE_EXPORT_NODES(score_filter::ScoreFilter, score_filter::FakeDetections)
