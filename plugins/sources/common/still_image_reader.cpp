#include "still_image_reader.h"

#include <opencv2/imgcodecs.hpp>

#include "image_file.h"

namespace sluice::sources {

Result<std::unique_ptr<StillImageReader>> StillImageReader::open_file(const std::string& path) {
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, read_image(path));
  return std::unique_ptr<StillImageReader>(new StillImageReader(std::move(image)));
}

Result<std::unique_ptr<StillImageReader>> StillImageReader::decode(
    const std::vector<unsigned char>& bytes, const std::string& what) {
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, decode_image(bytes, what));
  return std::unique_ptr<StillImageReader>(new StillImageReader(std::move(image)));
}

Status StillImageReader::next(const ReaderEnv& /*env*/, cv::Mat& image, int64_t& pts_us) {
  if (image_.empty()) return end_of_stream();
  image = std::move(image_);
  image_ = cv::Mat();
  pts_us = 0;
  return ok();
}

bool is_image_file(const std::string& path) {
  try {
    // Reads the file's first bytes: a name ending in .jpg does not make a JPEG.
    return cv::haveImageReader(path);
  } catch (const cv::Exception&) {
    return false;
  }
}

}  // namespace sluice::sources
