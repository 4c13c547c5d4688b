#include "resize.h"

namespace sluice::preprocessors {

Status Resize::open(const Params& p) {
  shorter_side_ = p.get(kShorterSide);
  max_size_ = p.get(kMaxSize);
  interpolation_ = interpolation_flag(p.get(kInterpolation));
  const std::vector<int> size = p.get(kSize);
  if (size.empty() == (shorter_side_ == 0))
    return invalid_argument(size.empty() ? "set either size = [width, height] or shorter_side = N"
                                         : "set size or shorter_side, not both");
  if (!size.empty()) {
    SLUICE_ASSIGN_OR_RETURN(size_, size_param(size, kSize.name, false));
  }
  if (max_size_ > 0 && shorter_side_ == 0)
    return invalid_argument("max_size applies only with shorter_side");
  if (max_size_ > 0 && max_size_ <= shorter_side_)
    return invalid_argument(
        "max_size = " + std::to_string(max_size_) +
        " must be greater than shorter_side = " + std::to_string(shorter_side_));
  return ok();
}

Status Resize::process(Context& ctx) {
  const Frame& in = ctx.get(kIn);
  SLUICE_RETURN_IF_ERROR(check_frame(in));
  const cv::Size from = in.image.size();
  const cv::Size to = target(from);
  if (to.width > kMaxSide || to.height > kMaxSide)
    return invalid_argument("resizing " + size_text(from) + " would make " + size_text(to) +
                            " pixels, over the limit of " + std::to_string(kMaxSide) + " a side");
  if (to == from) {  // nothing to do: forward the same packet, no copy
    ctx.forward(kOut, ctx.take(kIn));
    return ok();
  }
  Frame out;
  out.format = in.format;
  cv::resize(in.image, out.image, to, 0, 0, interpolation_);
  const Affine2D step =
      Affine2D::scale_translate(static_cast<double>(to.width) / from.width,
                                static_cast<double>(to.height) / from.height, 0, 0);
  ctx.send(kOut, std::move(out), with_step(ctx.header(), step));
  return ok();
}

cv::Size Resize::target(cv::Size from) const {
  if (shorter_side_ == 0) return size_;
  const bool portrait = from.width <= from.height;
  const int64_t shorter = portrait ? from.width : from.height;
  const int64_t longer = portrait ? from.height : from.width;
  // As Python computes int(N * long / short): an exact integer product, one rounded
  // division, truncation.
  int64_t new_short = shorter_side_;
  auto new_long =
      static_cast<int64_t>(static_cast<double>(new_short * longer) / static_cast<double>(shorter));
  if (max_size_ > 0 && new_long > max_size_) {
    new_short = static_cast<int64_t>(static_cast<double>(int64_t{max_size_} * new_short) /
                                     static_cast<double>(new_long));
    new_long = max_size_;
  }
  // A very thin image could round its longer side to 0 pixels.
  new_long = std::max<int64_t>(new_long, 1);
  new_short = std::max<int64_t>(new_short, 1);
  return portrait ? cv::Size(static_cast<int>(new_short), static_cast<int>(new_long))
                  : cv::Size(static_cast<int>(new_long), static_cast<int>(new_short));
}

}  // namespace sluice::preprocessors

SLUICE_EXPORT_NODES(sluice::preprocessors::Resize)
