#include "image_source.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>

#include "image_file.h"
#include "source_util.h"

namespace sluice::sources {

namespace fs = std::filesystem;

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);  // follows symlinks
}

Result<std::vector<std::string>> glob_files(const std::string& pattern) {
  glob_t g{};
  // GLOB_BRACE lets one pattern take several extensions: "media/*.{jpg,png}".
  const int rc = ::glob(pattern.c_str(), GLOB_BRACE, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0)
    for (std::size_t i = 0; i < g.gl_pathc; ++i)
      if (is_file(g.gl_pathv[i])) files.emplace_back(g.gl_pathv[i]);
  globfree(&g);
  if (rc == GLOB_NOSPACE) return internal_error("out of memory expanding " + quoted(pattern));
  if (rc == GLOB_ABORTED) return unavailable("cannot read the folders of " + quoted(pattern));
  if (files.empty()) return not_found("no file matches " + quoted(pattern));
  return files;
}

}  // namespace

Result<std::vector<std::string>> list_image_files(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  std::vector<std::string> files;
  if (fs::is_regular_file(st)) {
    files.push_back(path);
  } else if (fs::is_directory(st)) {
    fs::directory_iterator it(path, ec);
    if (ec) return unavailable("cannot list folder " + quoted(path) + ": " + ec.message());
    for (const auto& entry : it) {
      // Hidden files (.DS_Store, editor swap files) are not part of a data set.
      if (entry.path().filename().string().starts_with(".")) continue;
      if (is_file(entry.path())) files.push_back(entry.path().string());
    }
    if (files.empty()) return not_found("folder " + quoted(path) + " holds no files");
  } else if (path.find_first_of("*?[{") != std::string::npos) {
    SLUICE_ASSIGN_OR_RETURN(files, glob_files(path));
  } else if (fs::exists(st)) {
    return invalid_argument(quoted(path) + " is neither a file nor a folder");
  } else {
    return not_found("no such file or folder: " + quoted(path));
  }
  // Byte order, as `ls` sorts in the C locale: number files with leading zeros.
  std::sort(files.begin(), files.end());
  return files;
}

Status ImageSource::open(const Params& p) {
  loop_ = p.get(kLoop);
  fps_ = p.get(kFps);
  SLUICE_ASSIGN_OR_RETURN(files_, list_image_files(p.get(kPath)));
  return ok();
}

Status ImageSource::process(Context& ctx) {
  const auto n = static_cast<int64_t>(files_.size());
  if (!loop_ && seq_ >= n) return end_of_stream();
  const int64_t seq = seq_++;
  const std::string& file = files_[static_cast<std::size_t>(seq % n)];
  // An error here names the file; the runtime fails the run, or with on_error = "skip"
  // counts it and calls again for the next file.
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, read_image(file));
  const auto pts_us = fps_ > 0 ? static_cast<int64_t>(static_cast<double>(seq) * 1e6 / fps_) : 0;
  ctx.send(kOut, Frame{std::move(image), PixelFormat::kBGR, file},
           ctx.source_header(0, seq, pts_us));
  return ok();
}

int64_t ImageSource::expected_frames() const {
  return loop_ ? -1 : static_cast<int64_t>(files_.size());
}

}  // namespace sluice::sources

SLUICE_EXPORT_NODES(sluice::sources::ImageSource)
