#include "image_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>

#include "source_util.h"

namespace sluice::sources {

bool jpeg_is_complete(const std::vector<unsigned char>& d) {
  // Walks the marker segments (skipping each by its length, so an EXIF thumbnail's own
  // markers are never mistaken for the image's) and the entropy-coded data after each
  // start-of-scan. Only running out of bytes means "truncated"; anything unexpected is
  // left to the decoder to judge.
  std::size_t i = 2;  // after start-of-image
  while (i + 1 < d.size()) {
    if (d[i] != 0xFF) return true;
    const unsigned char m = d[i + 1];
    if (m == 0xFF) {  // fill byte before a marker
      ++i;
      continue;
    }
    if (m == 0xD9) return true;                   // end of image
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // markers without a length
      i += 2;
      continue;
    }
    if (i + 3 >= d.size()) return false;
    const std::size_t length = (static_cast<std::size_t>(d[i + 2]) << 8) | d[i + 3];
    i += 2 + length;
    if (m != 0xDA) continue;
    // Scan data: FF 00 is a stuffed FF, FF D0..D7 a restart marker, FF FF fill.
    while (i + 1 < d.size() && !(d[i] == 0xFF && d[i + 1] != 0x00 && d[i + 1] != 0xFF &&
                                 !(d[i + 1] >= 0xD0 && d[i + 1] <= 0xD7)))
      ++i;
  }
  return false;
}

Result<cv::Mat> decode_image(const std::vector<unsigned char>& data, const std::string& what) {
  if (data.empty()) return invalid_argument(what + " is empty, not an image");
  cv::Mat image;
  try {
    // IMREAD_COLOR: 8-bit BGR whatever the file holds (grey, alpha, 16-bit), EXIF
    // orientation applied, as cv::imread does.
    image = cv::imdecode(data, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return invalid_argument("cannot decode " + what + ": " + e.what());
  }
  if (image.empty())
    return invalid_argument("cannot decode " + what + ": the image is corrupt or truncated");
  // libjpeg decodes a cut-off JPEG without an error, filling the missing rows with grey.
  if (data.size() >= 2 && data[0] == 0xFF && data[1] == 0xD8 && !jpeg_is_complete(data))
    return invalid_argument("cannot decode " + what +
                            ": the JPEG data is truncated (no end-of-image marker)");
  return image;
}

Result<cv::Mat> read_image(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return unavailable("cannot read " + quoted(file) + ": " + std::strerror(errno));
  std::vector<unsigned char> data((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad()) return unavailable("cannot read " + quoted(file) + ": read error");
  if (data.empty()) return invalid_argument(quoted(file) + " is empty, not an image");
  if (!cv::haveImageReader(file))
    return invalid_argument(quoted(file) + " is not an image (no decoder for its format)");
  return decode_image(data, quoted(file));
}

}  // namespace sluice::sources
