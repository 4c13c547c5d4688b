// Takes the images posted to POST /v1/pipelines/NAME/infer of `sluice run --http`: each
// becomes a frame of a stream of its own, and http_response (this library's sink) answers
// it with its results. Concurrent requests are separate streams, so a model's max_batch /
// max_delay_ms batches them as it batches cameras. The queue, overload and deadlines are
// request_source.h's.
//
//   [nodes.request]
//   plugin = "http_request"
//   max_queued = 32       # requests waiting to enter the pipeline; more get 503 at once
//   timeout_ms = 10000    # 504 after this (or the client's X-Request-Timeout-Ms, if less)
//   format = "RGB"        # the decoded image's channel order (default BGR, as OpenCV's)
//
// The image is decoded on the server's thread that received it (image_body.h), so a bad
// one gets its 400 or 415 without entering the pipeline.
#pragma once

#include "request_source.h"

namespace sluice::sources {

class HttpRequest final : public RequestSource {
 public:
  static constexpr NodeInfo kInfo{
      "http_request", NodeKind::kSource,
      "Images posted over HTTP (sluice run --http), each a stream of its own; "
      "http_response answers them."};
  static constexpr Output<Frame> kOut{"out",
                                      "the request's image, in `format`; one frame per stream"};
  static inline const Param<std::string> kFormat{
      .name = "format",
      .default_value = "BGR",
      .description =
          "the decoded image's channel order; RGB decodes JPEGs straight to RGB, so "
          "that a model fed RGB needs no color_convert",
      .choices = {"BGR", "RGB"}};
  SLUICE_CONTRACT(kInfo, kOut, kMaxQueued, kTimeoutMs, kMaxBodyMb, kRetryAfterS, kFormat);

  Status open(const Params& params) override;

 private:
  DecodedRequest decode(const ServedRequest& request) const override;
  void emit(Context& ctx, DecodedRequest& decoded, const PacketHeader& header) override;
  const char* type_name() const override { return "http_request"; }

  PixelFormat format_ = PixelFormat::kBGR;
};

}  // namespace sluice::sources
