#include "color_convert.h"

namespace sluice::preprocessors {

Status ColorConvert::open(const Params& p) {
  const std::string to = p.get(kTo);
  to_ = to == "RGB" ? PixelFormat::kRGB : to == "GRAY" ? PixelFormat::kGRAY : PixelFormat::kBGR;
  return ok();
}

Status ColorConvert::process(Context& ctx) {
  const Frame& in = ctx.get(kIn);
  SLUICE_RETURN_IF_ERROR(check_frame(in));
  if (in.format == to_) {
    ctx.forward(kOut, ctx.take(kIn));
    return ok();
  }
  Frame out;
  out.format = to_;
  cv::cvtColor(in.image, out.image, code(in.format, to_));
  ctx.send(kOut, std::move(out));  // same header: pixels moved nowhere
  return ok();
}

int ColorConvert::code(PixelFormat from, PixelFormat to) {
  switch (from) {
    case PixelFormat::kBGR:
      return to == PixelFormat::kRGB ? cv::COLOR_BGR2RGB : cv::COLOR_BGR2GRAY;
    case PixelFormat::kRGB:
      return to == PixelFormat::kBGR ? cv::COLOR_RGB2BGR : cv::COLOR_RGB2GRAY;
    case PixelFormat::kGRAY:
      return to == PixelFormat::kBGR ? cv::COLOR_GRAY2BGR : cv::COLOR_GRAY2RGB;
    case PixelFormat::kBGRA:
      return to == PixelFormat::kBGR   ? cv::COLOR_BGRA2BGR
             : to == PixelFormat::kRGB ? cv::COLOR_BGRA2RGB
                                       : cv::COLOR_BGRA2GRAY;
    case PixelFormat::kRGBA:
      return to == PixelFormat::kBGR   ? cv::COLOR_RGBA2BGR
             : to == PixelFormat::kRGB ? cv::COLOR_RGBA2RGB
                                       : cv::COLOR_RGBA2GRAY;
  }
  return cv::COLOR_BGR2RGB;
}

}  // namespace sluice::preprocessors

SLUICE_EXPORT_NODES(sluice::preprocessors::ColorConvert)
