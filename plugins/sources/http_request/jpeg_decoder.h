// A JPEG decoded by libjpeg-turbo straight into BGR or RGB, the same pixels as cv::imdecode's
// (and, for RGB, as cv::imdecode's then cv::cvtColor's).
//
// Why not cv::imdecode: OpenCV 4.6, as Debian 12 builds it, asks libjpeg for RGB and turns
// each row into BGR in a scalar loop of its own; serving BlazeFace at concurrency 64, that
// loop was 9% of the server's CPU (perf, bench/serve_compare.py). libjpeg-turbo converts
// YCbCr to BGR or RGB in its SIMD colour conversion at no extra cost, so that a pipeline
// fed RGB needs no conversion either. The pixels are the same as
// OpenCV's: the same library with the same decompression settings (libjpeg's defaults:
// the slow integer DCT, fancy upsampling), checked in jpeg_decoder_test.cpp against
// cv::imdecode on colour, greyscale and subsampled images.
//
// Left to cv::imdecode (kNotHandled): CMYK and YCCK images, which libjpeg cannot turn into
// BGR; images whose Exif block turns the picture (orientation other than 1), which OpenCV
// rotates; and pictures past OpenCV's own size limits, which it refuses.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "sluice/payloads.h"

namespace sluice::sources {

struct JpegDecode {
  enum class Outcome { kDecoded, kNotHandled, kFailed };
  Outcome outcome = Outcome::kFailed;
  cv::Mat image;      // 8-bit, 3 channels in the order asked for, when kDecoded
  std::string error;  // libjpeg's message when kFailed
};

// `bytes` starts with the JPEG's SOI marker. libjpeg's warnings (corrupt data it decodes
// past) are not printed: a server would print one per bad request.
// `order` is PixelFormat::kBGR or kRGB.
JpegDecode decode_jpeg(std::string_view bytes, PixelFormat order);

// The Exif orientation tag (1 to 8) of an APP1 segment's payload ("Exif\0\0" then a TIFF
// header), or 0 when it has none or cannot be read. Exposed for its test.
int exif_orientation(std::string_view app1_payload);

}  // namespace sluice::sources
