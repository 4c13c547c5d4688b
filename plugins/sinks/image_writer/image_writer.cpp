#include "image_writer.h"

#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>

namespace sluice::sinks {

Status ImageWriter::open(const Params& params) {
  dir_ = params.get(kDir);
  pattern_ = params.get(kPattern);
  ext_ = "." + params.get(kFormat);
  style_ = sinks::style_from(params);
  if (params.get(kFormat) == "jpg")
    encode_params_ = {cv::IMWRITE_JPEG_QUALITY, params.get(kJpegQuality)};
  if (pattern_.empty()) return invalid_argument("pattern is empty");
  if (pattern_.find('/') != std::string::npos)
    return invalid_argument("pattern '" + pattern_ + "' is a file name: put folders in dir");
  return prepare_folder(dir_);
}

Status ImageWriter::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  if (pattern_.find("{stream}") == std::string::npos)
    SLUICE_RETURN_IF_ERROR(one_stream_.check(h.stream_id, "pattern", pattern_));
  if (h.sub_index >= 0 && pattern_.find("{sub}") == std::string::npos)
    return invalid_argument("got part " + std::to_string(h.sub_index + 1) + "/" +
                            std::to_string(h.sub_count) + " of a frame, but pattern '" + pattern_ +
                            "' has no {sub}: the parts would overwrite one another");
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, sinks::render(ctx, style_));

  char seq[32];
  std::snprintf(seq, sizeof seq, "%06lld", static_cast<long long>(h.seq));
  std::string name = replace_all(pattern_, "{stream}", std::to_string(h.stream_id));
  name = replace_all(std::move(name), "{seq}", seq);
  name = replace_all(std::move(name), "{sub}", h.sub_index >= 0 ? std::to_string(h.sub_index) : "");
  const std::string path = (std::filesystem::path(dir_) / (name + ext_)).string();

  std::vector<unsigned char> bytes;
  if (!cv::imencode(ext_, image, bytes, encode_params_))
    return internal_error("cannot encode '" + path + "'");
  return write_file_atomically(path, bytes);
}

}  // namespace sluice::sinks

SLUICE_EXPORT_NODES(sluice::sinks::ImageWriter)
