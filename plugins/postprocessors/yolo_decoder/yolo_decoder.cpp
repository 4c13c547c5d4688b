#include "yolo_decoder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "instance_mask.h"
#include "sluice/text.h"

namespace sluice::postprocessors {
namespace {

// The predictions as a 2-D table: `fields` values per anchor, read at (anchor, field)
// whichever way the model lays them out.
struct Table {
  const float* data = nullptr;
  int64_t anchors = 0;
  int64_t fields = 0;
  bool anchor_per_column = true;  // v8: [fields, anchors]; v5: [anchors, fields]
  float at(int64_t anchor, int64_t field) const {
    return anchor_per_column ? data[field * anchors + anchor] : data[anchor * fields + field];
  }
};

struct Candidate {
  int64_t anchor;
  float score;
  int class_id;
  cv::Rect2f box;  // model-input pixels
};

// The dimensions of one image's tensor: [a, b] or [1, a, b].
Result<std::pair<int64_t, int64_t>> two_dims(const Tensor& t, const char* what) {
  if (t.dtype != DType::kFloat32) return invalid_argument(std::string(what) + " must be float32");
  if (t.shape.size() == 3 && t.shape[0] != 1)
    return invalid_argument(std::string(what) + " of shape " + shape_text(t.shape) + " holds " +
                            std::to_string(t.shape[0]) +
                            " images; yolo_decoder takes one image's (a batching model node "
                            "sends each its own)");
  if (t.shape.size() != 2 && t.shape.size() != 3)
    return invalid_argument(std::string(what) + " of shape " + shape_text(t.shape) +
                            " is not [1, a, b] or [a, b]");
  const std::size_t k = t.shape.size() - 2;
  return std::pair{t.shape[k], t.shape[k + 1]};
}

}  // namespace

Status YoloDecoder::open(const Params& p) {
  layout_ = p.get(kLayout);
  const std::string task = p.get(kTask);
  task_ = task == "segment" ? Task::kSegment : task == "pose" ? Task::kPose : Task::kDetect;
  classes_ = p.get(kClasses);
  keypoints_ = p.get(kKeypoints);
  min_score_ = static_cast<float>(p.get(kMinScore));
  iou_ = static_cast<float>(p.get(kIou));
  agnostic_ = p.get(kAgnostic);
  max_ = p.get(kMax);
  SLUICE_ASSIGN_OR_RETURN(labels_, read_labels(p.get(kLabels)));
  const std::vector<int> size = p.get(kInputSize);
  if (!size.empty() && size.size() != 2)
    return invalid_argument("input_size must be [width, height], not " +
                            std::to_string(size.size()) + " numbers");
  if (size.size() == 2) input_size_ = cv::Size(size[0], size[1]);
  return ok();
}

Status YoloDecoder::process(Context& ctx) {
  const Tensor& t = ctx.get(kIn);
  const Tensor* protos_tensor = ctx.get_if(kProtos);
  if (task_ == Task::kSegment && !protos_tensor)
    return invalid_argument(
        "task = \"segment\" needs the prototype masks: connect the model's "
        "second output to 'protos'");
  if (task_ != Task::kSegment && protos_tensor)
    return invalid_argument("'protos' is connected, but task is not \"segment\"");
  SLUICE_ASSIGN_OR_RETURN(auto dims, two_dims(t, "the predictions"));
  Table table{.data = t.as<float>()};
  const bool v8 = layout_ == "v8" || (layout_ == "auto" && dims.first < dims.second);
  table.anchor_per_column = v8;
  table.fields = v8 ? dims.first : dims.second;
  table.anchors = v8 ? dims.second : dims.first;

  Prototypes protos;
  if (protos_tensor) {
    const auto& s = protos_tensor->shape;
    const bool shaped = (s.size() == 4 && s[0] == 1) || s.size() == 3;
    if (protos_tensor->dtype != DType::kFloat32 || !shaped)
      return invalid_argument("protos must be float32 [1, M, h, w] or [M, h, w], not " +
                              shape_text(s));
    const std::size_t k = s.size() - 3;
    protos = {protos_tensor->as<float>(), static_cast<int>(s[k]), static_cast<int>(s[k + 1]),
              static_cast<int>(s[k + 2]),
              input_size_.empty()
                  ? cv::Size(static_cast<int>(s[k + 2]) * 4, static_cast<int>(s[k + 1]) * 4)
                  : input_size_};
  }
  // What follows the box (and v5's objectness): class scores, then the extras.
  const int64_t extra = task_ == Task::kSegment ? protos.m
                        : task_ == Task::kPose  ? 3 * static_cast<int64_t>(keypoints_)
                                                : 0;
  const int64_t head = v8 ? 4 : 5;
  const int64_t classes = classes_ > 0 ? classes_ : table.fields - head - extra;
  const std::string layout_text = v8 ? "v8 (a column per anchor)" : "v5 (a row per anchor)";
  if (classes < 1 || head + classes + extra != table.fields)
    return invalid_argument("the predictions " + shape_text(t.shape) + " read as layout " +
                            layout_text + " have " + std::to_string(table.fields) +
                            " values per anchor, not " + std::to_string(head) + " + classes" +
                            (extra ? " + " + std::to_string(extra) : "") +
                            (classes_ > 0 ? " with classes = " + std::to_string(classes_) : "") +
                            " (check layout, task, classes and keypoints)");

  std::vector<Candidate> kept;
  int64_t invalid = 0;
  for (int64_t a = 0; a < table.anchors; ++a) {
    int best = 0;
    float best_score = table.at(a, head);
    for (int64_t c = 1; c < classes; ++c) {
      const float s = table.at(a, head + c);
      if (s > best_score) {
        best_score = s;
        best = static_cast<int>(c);
      }
    }
    const float score = v8 ? best_score : table.at(a, 4) * best_score;
    const float cx = table.at(a, 0), cy = table.at(a, 1), w = table.at(a, 2), h = table.at(a, 3);
    if (!std::isfinite(score) || !std::isfinite(cx) || !std::isfinite(cy) || !std::isfinite(w) ||
        !std::isfinite(h)) {
      ++invalid;
      continue;
    }
    if (score < min_score_) continue;
    kept.push_back({a, score, best, cv::Rect2f(cx - w / 2, cy - h / 2, w, h)});
  }
  if (invalid) ctx.add_to_counter("skipped_invalid", invalid);
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });

  // Greedy NMS, class-wise unless agnostic; iou_threshold 1 keeps everything.
  std::vector<const Candidate*> chosen;
  for (const Candidate& c : kept) {
    if (static_cast<int>(chosen.size()) >= max_) break;
    bool suppressed = false;
    if (iou_ < 1.f)
      for (const Candidate* k : chosen)
        if ((agnostic_ || k->class_id == c.class_id) && iou(k->box, c.box) > iou_) {
          suppressed = true;
          break;
        }
    if (!suppressed) chosen.push_back(&c);
  }

  const Affine2D& to_input = ctx.header().transform;
  const PacketHeader& h = ctx.header();
  const cv::Size frame = h.source_frame ? h.source_frame->image.size() : cv::Size();
  Detections out;
  std::vector<float> extras(static_cast<std::size_t>(extra));
  for (const Candidate* c : chosen) {
    Detection d;
    d.box = to_input.to_source(c->box);
    d.score = c->score;
    d.class_id = c->class_id;
    d.label = label_of(labels_, c->class_id);
    for (int64_t k = 0; k < extra; ++k)
      extras[static_cast<std::size_t>(k)] = table.at(c->anchor, head + classes + k);
    if (task_ == Task::kPose) {
      for (int k = 0; k < keypoints_; ++k) {
        d.landmarks.push_back(to_input.to_source(cv::Point2f(extras[3 * k], extras[3 * k + 1])));
        d.landmark_scores.push_back(extras[3 * k + 2]);
      }
    } else if (task_ == Task::kSegment) {
      instance_mask(protos, extras.data(), c->box, to_input, frame, d);
    }
    out.items.push_back(std::move(d));
  }
  ctx.send(kOut, std::move(out));
  return ok();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::YoloDecoder)
