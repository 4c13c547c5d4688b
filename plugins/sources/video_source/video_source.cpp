#include "video_source.h"

namespace sluice::sources {

Status VideoSource::open(const Params& p) {
  SLUICE_ASSIGN_OR_RETURN(
      reader_, VideoFileReader::open(
                   {.path = p.get(kPath), .loop = p.get(kLoop), .realtime = p.get(kRealtime)}));
  return ok();
}

Status VideoSource::process(Context& ctx) {
  cv::Mat image;
  int64_t pts = 0;
  SLUICE_RETURN_IF_ERROR(reader_->next(env_of(ctx), image, pts));
  if (image.empty()) return ctx.stop_requested() ? end_of_stream() : ok();
  ctx.send(kOut, Frame{std::move(image), PixelFormat::kBGR}, ctx.source_header(0, seq_++, pts));
  return ok();
}

}  // namespace sluice::sources

SLUICE_EXPORT_NODES(sluice::sources::VideoSource)
