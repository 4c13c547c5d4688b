#include "letterbox.h"

namespace sluice::preprocessors {

Status Letterbox::open(const Params& p) {
  SLUICE_ASSIGN_OR_RETURN(size_, size_param(p.get(kSize), kSize.name, false));
  pad_value_ = p.get(kPadValue);
  centre_ = p.get(kAlign) == "center";
  upscale_ = p.get(kUpscale);
  interpolation_ = interpolation_flag(p.get(kInterpolation));
  return ok();
}

Status Letterbox::process(Context& ctx) {
  const Frame& in = ctx.get(kIn);
  SLUICE_RETURN_IF_ERROR(check_frame(in));
  const cv::Size from = in.image.size();
  if (from == size_) {  // already fits exactly: forward the same packet, no copy
    ctx.forward(kOut, ctx.take(kIn));
    return ok();
  }
  double s = std::min(static_cast<double>(size_.width) / from.width,
                      static_cast<double>(size_.height) / from.height);
  if (!upscale_) s = std::min(s, 1.0);
  // As YOLO's letterbox: int(round(side * s)), at least one pixel, at most the target.
  const cv::Size scaled(std::clamp(round_half_even(from.width * s), 1, size_.width),
                        std::clamp(round_half_even(from.height * s), 1, size_.height));
  const int pad_x = size_.width - scaled.width, pad_y = size_.height - scaled.height;
  const int left = centre_ ? pad_x / 2 : 0, top = centre_ ? pad_y / 2 : 0;

  Frame out;
  out.format = in.format;
  out.image = cv::Mat(size_, in.image.type(), cv::Scalar::all(pad_value_));
  // Resize straight into the image's place inside the padded canvas: no second copy.
  cv::Mat place = out.image(cv::Rect(cv::Point(left, top), scaled));
  if (scaled == from)
    in.image.copyTo(place);
  else
    cv::resize(in.image, place, scaled, 0, 0, interpolation_);
  // The per-axis scales actually applied (rounding makes them differ slightly from s).
  const Affine2D step =
      Affine2D::scale_translate(static_cast<double>(scaled.width) / from.width,
                                static_cast<double>(scaled.height) / from.height, left, top);
  ctx.send(kOut, std::move(out), with_step(ctx.header(), step));
  return ok();
}

}  // namespace sluice::preprocessors

SLUICE_EXPORT_NODES(sluice::preprocessors::Letterbox)
