// Still images read whole and decoded as 8-bit BGR, as cv::imread does, with errors that
// name the image: image_source's files, and the images of uri readers (a job's file, or
// its bytes sent inline).
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::sources {

// Reads and decodes one image file; errors name the file and what is wrong.
Result<cv::Mat> read_image(const std::string& file);

// Decodes an image held in memory; `what` names it in errors ("job 'x': the image").
// A JPEG cut off before its end is an error, not an image with grey rows.
Result<cv::Mat> decode_image(const std::vector<unsigned char>& data, const std::string& what);

// True unless the JPEG data in `data` ends before its end-of-image marker.
bool jpeg_is_complete(const std::vector<unsigned char>& data);

}  // namespace sluice::sources
