// A request's image, decoded and checked: the body of POST /v1/pipelines/NAME/infer.
// Strict where OpenCV is lenient: libjpeg decodes a truncated JPEG into a picture with a
// grey bottom and only warns, so a JPEG must end with its end-of-image marker and a PNG
// with its IEND chunk; anything else is refused with the HTTP status that says why.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "sluice/payloads.h"

namespace sluice::sources {

struct DecodedImage {
  cv::Mat image;      // 8-bit, BGR or RGB as asked; empty when refused
  int status = 200;   // 415: not a media type taken; 400: not a whole image of that type
  std::string error;  // why it was refused, naming what was sent
};

// The media types taken: image/jpeg, image/png, and application/octet-stream (told apart
// by their first bytes). Parameters after ';' are ignored.
bool is_image_type(std::string_view content_type);

// `order`: PixelFormat::kBGR or kRGB, the order of the decoded image's channels.
DecodedImage decode_image_body(std::string_view body, std::string_view content_type,
                               PixelFormat order = PixelFormat::kBGR);

}  // namespace sluice::sources
