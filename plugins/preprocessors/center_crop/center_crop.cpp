#include "center_crop.h"

namespace sluice::preprocessors {

Status CenterCrop::open(const Params& p) {
  SLUICE_ASSIGN_OR_RETURN(size_, size_param(p.get(kSize), kSize.name, true));
  pad_ = p.get(kPad);
  pad_value_ = p.get(kPadValue);
  return ok();
}

Status CenterCrop::process(Context& ctx) {
  const Frame& in = ctx.get(kIn);
  SLUICE_RETURN_IF_ERROR(check_frame(in));
  const cv::Size from = in.image.size();
  if (from == size_) {  // nothing to crop: forward the same packet
    ctx.forward(kOut, ctx.take(kIn));
    return ok();
  }
  const bool too_small = size_.width > from.width || size_.height > from.height;
  if (too_small && !pad_)
    return invalid_argument("the crop " + size_text(size_) + " is larger than the frame " +
                            size_text(from) + "; set pad = true to pad such frames");
  const Axis x = axis(from.width, size_.width), y = axis(from.height, size_.height);

  Frame out;
  out.format = in.format;
  // The part of the frame inside the crop: a view, no copy (packets are immutable).
  const cv::Mat kept = in.image(cv::Rect(x.first, y.first, x.length, y.length));
  if (too_small)
    cv::copyMakeBorder(kept, out.image, y.pad_before, y.pad_after, x.pad_before, x.pad_after,
                       cv::BORDER_CONSTANT, cv::Scalar::all(pad_value_));
  else
    out.image = kept;
  const Affine2D step =
      Affine2D::scale_translate(1, 1, x.pad_before - x.first, y.pad_before - y.first);
  ctx.send(kOut, std::move(out), with_step(ctx.header(), step));
  return ok();
}

CenterCrop::Axis CenterCrop::axis(int in, int crop) {
  if (crop >= in) return {0, in, (crop - in) / 2, (crop - in + 1) / 2};
  return {round_half_even((in - crop) / 2.0), crop, 0, 0};
}

}  // namespace sluice::preprocessors

SLUICE_EXPORT_NODES(sluice::preprocessors::CenterCrop)
