#include "camera_source.h"

namespace sluice::sources {

Status CameraSource::open(const Params& p) {
  frames_ = p.get(kFrames);
  SLUICE_ASSIGN_OR_RETURN(reader_, CameraReader::open({.device = p.get(kDevice),
                                                       .width = p.get(kWidth),
                                                       .height = p.get(kHeight),
                                                       .fps = p.get(kFps),
                                                       .fourcc = p.get(kFourcc)}));
  return ok();
}

Status CameraSource::process(Context& ctx) {
  if (frames_ > 0 && seq_ >= frames_) return end_of_stream();
  cv::Mat image;
  int64_t pts = 0;
  SLUICE_RETURN_IF_ERROR(reader_->next(env_of(ctx), image, pts));
  ctx.send(kOut, Frame{std::move(image), PixelFormat::kBGR}, ctx.source_header(0, seq_++, pts));
  return ok();
}

}  // namespace sluice::sources

SLUICE_EXPORT_NODES(sluice::sources::CameraSource)
