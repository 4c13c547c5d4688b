#include "mot_writer.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace sluice::sinks {

MotWriter::~MotWriter() {
  for (auto& [stream, f] : files_)
    if (f.file) std::fclose(f.file);
}

Status MotWriter::open(const Params& p) {
  path_ = p.get(kPath);
  if (path_.empty()) return invalid_argument("path is empty");
  return prepare_parent_of(path_);
}

Status MotWriter::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  auto it = files_.find(h.stream_id);
  if (it == files_.end()) {
    const bool per_stream = path_.find("{stream}") != std::string::npos;
    if (!per_stream) SLUICE_RETURN_IF_ERROR(one_stream_.check(h.stream_id, "path", path_));
    File f{per_stream ? replace_all(path_, "{stream}", std::to_string(h.stream_id)) : path_};
    SLUICE_RETURN_IF_ERROR(prepare_parent_of(f.path));
    const std::string part = f.path + ".part";
    f.file = std::fopen(part.c_str(), "wb");
    if (!f.file) return not_found("cannot write '" + part + "': " + std::strerror(errno));
    it = files_.emplace(h.stream_id, std::move(f)).first;
  }
  int64_t untracked = 0;
  for (const Detection& d : ctx.get(kIn).items) {
    if (d.track_id < 0) {
      ++untracked;
      continue;
    }
    std::fprintf(it->second.file, "%lld,%lld,%.2f,%.2f,%.2f,%.2f,%.6g,-1,-1,-1\n",
                 static_cast<long long>(h.seq + 1), static_cast<long long>(d.track_id), d.box.x,
                 d.box.y, d.box.width, d.box.height, d.score);
  }
  if (untracked) ctx.add_to_counter("untracked", untracked);
  if (std::ferror(it->second.file))
    return internal_error("cannot write '" + it->second.path + ".part': " + std::strerror(errno));
  return ok();
}

Status MotWriter::finish(File& f) {
  if (!f.file) return ok();
  const bool failed = std::fclose(f.file) != 0;
  f.file = nullptr;
  if (failed) return internal_error("cannot write '" + f.path + ".part'");
  std::error_code ec;
  std::filesystem::rename(f.path + ".part", f.path, ec);
  if (ec) return internal_error("cannot rename '" + f.path + ".part': " + ec.message());
  return ok();
}

Status MotWriter::stream_ended(Context&, const StreamEnd& end) {
  auto it = files_.find(end.stream_id);
  if (it == files_.end()) return ok();
  const Status s = finish(it->second);
  files_.erase(it);
  return s;
}

Status MotWriter::close(Context&) {
  Status first = ok();
  for (auto& [stream, f] : files_) {
    const Status s = finish(f);
    if (first.ok()) first = s;
  }
  files_.clear();
  return first;
}

}  // namespace sluice::sinks

SLUICE_EXPORT_NODES(sluice::sinks::MotWriter)
