#include "blazeface_decoder.h"

namespace sluice::postprocessors {

Status BlazeFaceDecoder::open(const Params& p) {
  const auto size = p.get(kInputSize);
  const auto grids = p.get(kGrids);
  const auto per_cell = p.get(kAnchorsPerCell);
  if (size.size() != 2) return invalid_argument("input_size must be [W, H]");
  // The anchors are square grids (grids = [16, 8]: 16 x 16 and 8 x 8 cells), as BlazeFace's
  // square inputs have: on another shape they would sit in the wrong places.
  if (size[0] != size[1])
    return invalid_argument("input_size [" + std::to_string(size[0]) + ", " +
                            std::to_string(size[1]) +
                            "] is not square; BlazeFace's anchors are square grids (param grids)");
  if (grids.size() != per_cell.size())
    return invalid_argument("grids and anchors_per_cell must have the same length");
  width_ = static_cast<float>(size[0]);
  height_ = static_cast<float>(size[1]);
  min_score_ = static_cast<float>(p.get(kMinScore));
  // Anchor centres, in the order the model emits them: layer, row, column, anchor.
  anchors_.clear();
  for (std::size_t l = 0; l < grids.size(); ++l)
    for (int64_t y = 0; y < grids[l]; ++y)
      for (int64_t x = 0; x < grids[l]; ++x)
        for (int64_t a = 0; a < per_cell[l]; ++a)
          anchors_.emplace_back((static_cast<float>(x) + 0.5f) / static_cast<float>(grids[l]),
                                (static_cast<float>(y) + 0.5f) / static_cast<float>(grids[l]));
  return ok();
}

Status BlazeFaceDecoder::process(Context& ctx) {
  std::vector<const float*> score_parts, box_parts;
  std::vector<int64_t> score_counts, box_counts;
  for (const auto* port : {&kScores, &kScores2}) {
    if (const Tensor* t = ctx.get_if(*port)) {
      SLUICE_ASSIGN_OR_RETURN(int64_t n, rows_of(*t, 1, std::string("input '") + port->name + "'"));
      score_parts.push_back(t->as<float>());
      score_counts.push_back(n);
    }
  }
  for (const auto* port : {&kBoxes, &kBoxes2}) {
    if (const Tensor* t = ctx.get_if(*port)) {
      SLUICE_ASSIGN_OR_RETURN(int64_t n,
                              rows_of(*t, kValues, std::string("input '") + port->name + "'"));
      box_parts.push_back(t->as<float>());
      box_counts.push_back(n);
    }
  }
  int64_t scores = 0, boxes = 0;
  for (auto n : score_counts) scores += n;
  for (auto n : box_counts) boxes += n;
  if (scores != static_cast<int64_t>(anchors_.size()) || boxes != scores)
    return invalid_argument("the model gave " + std::to_string(scores) + " scores and " +
                            std::to_string(boxes) + " boxes for " +
                            std::to_string(anchors_.size()) +
                            " anchors (params grids and anchors_per_cell)");

  const Affine2D& to_input = ctx.header().transform;
  Detections out;
  std::size_t anchor = 0;
  for (std::size_t part = 0; part < score_parts.size(); ++part) {
    for (int64_t i = 0; i < score_counts[part]; ++i, ++anchor) {
      const float logit = std::clamp(score_parts[part][i], -100.f, 100.f);
      const float score = 1.f / (1.f + std::exp(-logit));
      if (score < min_score_) continue;
      const float* b = box_at(box_parts, box_counts, anchor);
      const auto [ax, ay] = anchors_[anchor];
      const float cx = ax + b[0] / width_, cy = ay + b[1] / height_;
      const float w = b[2] / width_, h = b[3] / height_;
      Detection d;
      d.box = to_input.to_source(
          cv::Rect2f(cv::Point2f((cx - w / 2) * width_, (cy - h / 2) * height_),
                     cv::Point2f((cx + w / 2) * width_, (cy + h / 2) * height_)));
      d.score = score;
      d.class_id = 0;
      d.label = "face";
      for (int k = 0; k < kKeypoints; ++k)
        d.landmarks.push_back(to_input.to_source(cv::Point2f(
            (ax + b[4 + 2 * k] / width_) * width_, (ay + b[5 + 2 * k] / height_) * height_)));
      out.items.push_back(std::move(d));
    }
  }
  ctx.send(kOut, std::move(out));
  return ok();
}

const float* BlazeFaceDecoder::box_at(const std::vector<const float*>& parts,
                                      const std::vector<int64_t>& counts, std::size_t anchor) {
  std::size_t i = anchor;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    if (i < static_cast<std::size_t>(counts[p])) return parts[p] + i * kValues;
    i -= static_cast<std::size_t>(counts[p]);
  }
  return parts.back();
}

}  // namespace sluice::postprocessors

SLUICE_EXPORT_NODES(sluice::postprocessors::BlazeFaceDecoder)
