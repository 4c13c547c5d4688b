#include "image_body.h"

#include <algorithm>
#include <cctype>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "jpeg_decoder.h"

namespace sluice::sources {
namespace {

std::string media_type(std::string_view content_type) {
  std::string t(content_type.substr(0, content_type.find(';')));
  t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }),
          t.end());
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t;
}

bool starts_with(std::string_view body, std::string_view magic) {
  return body.size() >= magic.size() && body.substr(0, magic.size()) == magic;
}

constexpr std::string_view kJpegMagic = "\xFF\xD8\xFF";
constexpr std::string_view kPngMagic = "\x89PNG\r\n\x1A\n";

// A JPEG's last marker is EOI (FF D9); some writers pad after it, so a few trailing bytes
// are allowed.
bool jpeg_is_whole(std::string_view body) {
  const std::size_t at = body.rfind("\xFF\xD9");
  return at != std::string_view::npos && at + 2 + 64 >= body.size();
}

// A PNG ends with the IEND chunk: its type and CRC are the last 8 bytes.
bool png_is_whole(std::string_view body) {
  return body.size() >= 8 + 12 &&
         body.substr(body.size() - 8) == std::string_view("IEND\xAE\x42\x60\x82", 8);
}

DecodedImage refused(int status, std::string error) { return {{}, status, std::move(error)}; }

}  // namespace

bool is_image_type(std::string_view content_type) {
  const std::string t = media_type(content_type);
  return t == "image/jpeg" || t == "image/jpg" || t == "image/png" ||
         t == "application/octet-stream";
}

DecodedImage decode_image_body(std::string_view body, std::string_view content_type,
                               PixelFormat order) {
  const std::string type = media_type(content_type);
  if (!is_image_type(content_type))
    return refused(415, "content type '" + std::string(content_type) +
                            "' is not taken: send image/jpeg, image/png (or either as "
                            "application/octet-stream, or in a multipart form)");
  if (body.empty()) return refused(400, "the request has no body: send the image's bytes");
  const bool jpeg = starts_with(body, kJpegMagic), png = starts_with(body, kPngMagic);
  if (!jpeg && !png)
    return refused(400, "the body (" + std::to_string(body.size()) +
                            " bytes) is not a JPEG or PNG image: it does not start as one");
  if ((type == "image/jpeg" || type == "image/jpg") && !jpeg)
    return refused(400, "the body is a PNG image, sent as " + type);
  if (type == "image/png" && !png) return refused(400, "the body is a JPEG image, sent as " + type);
  if (jpeg && !jpeg_is_whole(body))
    return refused(400, "the JPEG image (" + std::to_string(body.size()) +
                            " bytes) is truncated: it has no end-of-image marker");
  if (png && !png_is_whole(body))
    return refused(400, "the PNG image (" + std::to_string(body.size()) +
                            " bytes) is truncated: it does not end with its IEND chunk");
  if (jpeg) {
    JpegDecode d = decode_jpeg(body, order);
    if (d.outcome == JpegDecode::Outcome::kDecoded) return {d.image, 200, {}};
    if (d.outcome == JpegDecode::Outcome::kFailed)
      return refused(400, "the JPEG image (" + std::to_string(body.size()) +
                              " bytes) does not decode: " + d.error);
  }
  cv::Mat image;  // a PNG, or a JPEG that decode_jpeg leaves to OpenCV
  try {
    const cv::Mat bytes(1, static_cast<int>(body.size()), CV_8U, const_cast<char*>(body.data()));
    image = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return refused(400, std::string("the image does not decode: ") + e.what());
  }
  if (image.empty())
    return refused(400, std::string("the ") + (jpeg ? "JPEG" : "PNG") + " image (" +
                            std::to_string(body.size()) + " bytes) does not decode");
  if (order == PixelFormat::kRGB) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return {image, 200, {}};
}

}  // namespace sluice::sources
