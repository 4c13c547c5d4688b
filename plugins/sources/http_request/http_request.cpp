#include "http_request.h"

#include "image_body.h"

namespace sluice::sources {

Status HttpRequest::open(const Params& params) {
  format_ = params.get(kFormat) == "RGB" ? PixelFormat::kRGB : PixelFormat::kBGR;
  return RequestSource::open(params);
}

DecodedRequest HttpRequest::decode(const ServedRequest& request) const {
  DecodedImage image = decode_image_body(request.body(), request.content_type(), format_);
  DecodedRequest decoded;
  decoded.status = image.status;
  decoded.error = std::move(image.error);
  decoded.image = std::move(image.image);
  return decoded;
}

void HttpRequest::emit(Context& ctx, DecodedRequest& decoded, const PacketHeader& header) {
  ctx.send(kOut, Frame{std::move(decoded.image), format_}, header);
}

}  // namespace sluice::sources
