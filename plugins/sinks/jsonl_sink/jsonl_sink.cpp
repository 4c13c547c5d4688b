#include "jsonl_sink.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "output_files.h"
#include "result_record.h"

namespace sluice::sinks {

using nlohmann::json;

JsonlSink::~JsonlSink() {
  if (file_) std::fclose(file_);
}

Status JsonlSink::open(const Params& params) {
  path_ = params.get(kPath);
  mask_rle_ = params.get(kMaskRle);
  stream_records_ = params.get(kStreamRecords);
  if (path_.empty()) return invalid_argument("path is empty");
  SLUICE_RETURN_IF_ERROR(prepare_parent_of(path_));
  file_ = std::fopen(path_.c_str(), params.get(kAppend) ? "ab" : "wb");
  if (!file_) return not_found("cannot write '" + path_ + "': " + std::strerror(errno));
  return ok();
}

Status JsonlSink::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  const json line = result_record(h, result_inputs_of<JsonlSink>(ctx), mask_rle_);

  // Labels come from model files: replace invalid UTF-8 rather than fail the run.
  SLUICE_RETURN_IF_ERROR(write_line(line.dump(-1, ' ', false, json::error_handler_t::replace)));
  ++lines_[h.stream_id];
  return ok();
}

Status JsonlSink::write_line(const std::string& line) {
  const std::string text = line + "\n";
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0)
    return internal_error("cannot write '" + path_ + "': " + std::strerror(errno));
  return ok();
}

Status JsonlSink::stream_started(Context&, uint32_t stream_id) {
  if (!stream_records_) return ok();
  return write_line(json{{"stream", stream_id}, {"event", "start"}}.dump());
}

Status JsonlSink::stream_ended(Context&, const StreamEnd& end) {
  const auto it = lines_.find(end.stream_id);
  const int64_t lines = it == lines_.end() ? 0 : it->second;
  if (it != lines_.end()) lines_.erase(it);
  if (!stream_records_) return ok();
  return write_line(json{
      {"stream", end.stream_id},
      {"event", "end"},
      {"reason", end.reason},
      {"lines", lines}}.dump(-1, ' ', false, json::error_handler_t::replace));
}

Status JsonlSink::close(Context&) {
  if (!file_) return ok();
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!closed) return internal_error("cannot write '" + path_ + "': " + std::strerror(errno));
  return ok();
}

}  // namespace sluice::sinks

SLUICE_EXPORT_NODES(sluice::sinks::JsonlSink)
