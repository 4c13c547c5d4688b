// One still image as a stream of one frame (pts 0): an image file given where a video or
// stream could be (a uri_source uri, a redis_source job), or an image's bytes sent inline.
// Decoded as image_source decodes (image_file.h), so the pixels are the same.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "frame_reader.h"

namespace sluice::sources {

class StillImageReader final : public FrameReader {
 public:
  // Reads and decodes the file now: an unreadable or corrupt image is an error here.
  static Result<std::unique_ptr<StillImageReader>> open_file(const std::string& path);
  // Decodes `bytes` now; `what` names them in errors.
  static Result<std::unique_ptr<StillImageReader>> decode(const std::vector<unsigned char>& bytes,
                                                          const std::string& what);

  Status next(const ReaderEnv& env, cv::Mat& image, int64_t& pts_us) override;
  int64_t expected_frames() const override { return 1; }

 private:
  explicit StillImageReader(cv::Mat image) : image_(std::move(image)) {}
  cv::Mat image_;  // empty once given
};

// True when `path` names an image format (by its contents, as OpenCV's decoders judge),
// not a video: such a file is read as a still image.
bool is_image_file(const std::string& path);

}  // namespace sluice::sources
