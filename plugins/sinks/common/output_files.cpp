#include "output_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace sluice::sinks {

namespace fs = std::filesystem;

namespace {

// What keeps files from being written in `dir` (made when missing), or ok.
Status folder_problem(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    return invalid_argument("'" + dir.string() + "' is not a folder");
  fs::create_directories(dir, ec);
  if (ec) return not_found("cannot create folder '" + dir.string() + "': " + ec.message());
  // A file actually created there is the only reliable test (permissions, read-only
  // mounts, ACLs); it is removed at once.
  const fs::path probe = dir / (".sluice-write-test-" + std::to_string(::getpid()));
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f)
    return not_found("cannot write in folder '" + dir.string() + "': " + std::strerror(errno));
  std::fclose(f);
  fs::remove(probe, ec);
  return ok();
}

}  // namespace

Status prepare_folder(const std::string& folder) {
  return folder_problem(folder.empty() ? fs::path(".") : fs::path(folder));
}

Status prepare_parent_of(const std::string& file) {
  const fs::path parent = fs::path(file).parent_path();
  if (parent.string().find('{') != std::string::npos) return ok();
  const Status s = folder_problem(parent.empty() ? fs::path(".") : parent);
  if (s.ok()) return s;
  return Status(s.code(), "cannot write '" + file + "': " + s.message());
}

std::string replace_all(std::string text, std::string_view key, std::string_view value) {
  for (std::size_t at = text.find(key); at != std::string::npos;
       at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
  return text;
}

Status write_file_atomically(const std::string& path, const std::vector<unsigned char>& bytes) {
  const std::string partial = path + ".part";
  std::FILE* f = std::fopen(partial.c_str(), "wb");
  if (!f) return not_found("cannot write '" + path + "': " + std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const int saved_errno = errno;
  if (std::fclose(f) != 0 || !written) {
    std::remove(partial.c_str());
    return internal_error("cannot write '" + path +
                          "': " + std::strerror(written ? errno : saved_errno));
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(partial.c_str());
    return internal_error("cannot write '" + path + "': " + std::strerror(e));
  }
  return ok();
}

Status OneStream::check(uint32_t stream_id, const std::string& what, const std::string& value) {
  if (!stream_) stream_ = stream_id;
  if (*stream_ == stream_id) return ok();
  return invalid_argument("got stream " + std::to_string(stream_id) + " after stream " +
                          std::to_string(*stream_) + ", but its " + what + " '" + value +
                          "' has no {stream}: put {stream} in it to write one per stream");
}

}  // namespace sluice::sinks
