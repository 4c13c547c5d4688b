#include "stream_source.h"

namespace sluice::sources {

Status StreamSource::open(const Params& p) {
  frames_ = p.get(kFrames);
  NetworkStreamOptions options = network_params::read(p, kMaxReconnects);
  options.url = p.get(kUrl);
  options.gstreamer = p.get(kBackend) == "gstreamer";
  options.end_on_give_up = p.get(kOnGiveUp) == "end";
  SLUICE_ASSIGN_OR_RETURN(reader_, NetworkStreamReader::open(options));
  return ok();
}

Status StreamSource::process(Context& ctx) {
  if (frames_ > 0 && seq_ >= frames_) return end_of_stream();
  cv::Mat image;
  int64_t pts = 0;
  SLUICE_RETURN_IF_ERROR(reader_->next(env_of(ctx), image, pts));
  if (image.empty()) return ctx.stop_requested() ? end_of_stream() : ok();  // reconnecting
  ctx.send(kOut, Frame{std::move(image), PixelFormat::kBGR}, ctx.source_header(0, seq_++, pts));
  return ok();
}

}  // namespace sluice::sources

SLUICE_EXPORT_NODES(sluice::sources::StreamSource)
