#include "count_sink.h"

namespace sluice::builtin {

Status CountSink::open(const Params& p) {
  path_ = p.get(kPath);
  record_seqs_ = p.get(kRecordSeqs);
  print_ = p.get(kPrint);
  return ok();
}

Status CountSink::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  StreamCount& s = streams_[h.stream_id];
  // Sub-packets share their frame's seq: order is by (seq, sub_index).
  const std::pair<int64_t, int32_t> key{h.seq, h.sub_index};
  if (s.count == 0)
    s.first = h.seq;
  else if (key <= s.last_key)
    s.in_order = false;
  s.last = h.seq;
  s.last_key = key;
  ++s.count;
  ++total_;
  if (record_seqs_) s.seqs.push_back(h.seq);
  return ok();
}

Status CountSink::close(Context& ctx) {
  if (print_) {
    std::string line =
        "count_sink '" + ctx.node_name() + "': " + std::to_string(total_) + " packets";
    for (const auto& [id, s] : streams_)
      line += " (stream " + std::to_string(id) + ": " + std::to_string(s.count) + ")";
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
  if (path_.empty()) return ok();
  std::ofstream out(path_);
  if (!out) return not_found("cannot write '" + path_ + "'");
  out << "{\"total\": " << total_ << ", \"streams\": {";
  bool first = true;
  for (const auto& [id, s] : streams_) {
    out << (first ? "" : ", ") << "\"" << id << "\": {\"count\": " << s.count
        << ", \"first\": " << s.first << ", \"last\": " << s.last
        << ", \"in_order\": " << (s.in_order ? "true" : "false");
    if (record_seqs_) {
      out << ", \"seqs\": [";
      for (std::size_t i = 0; i < s.seqs.size(); ++i) out << (i ? ", " : "") << s.seqs[i];
      out << "]";
    }
    out << "}";
    first = false;
  }
  out << "}}\n";
  return out ? ok() : internal_error("failed writing '" + path_ + "'");
}

}  // namespace sluice::builtin
