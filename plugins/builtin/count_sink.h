// Counts packets per stream, checks that each stream's seq numbers only increase, and
// at the end prints the counts and (with `path`) writes them as JSON.
//
//   [nodes.count]
//   plugin = "count_sink"
//   path = "out/counts.json"
//
// The JSON: {"total": N, "streams": {"0": {"count": N, "first": 0, "last": 99,
//            "in_order": true, "seqs": [...]}}}   ("seqs" only with record_seqs = true)
#pragma once

#include <cstdio>
#include <fstream>
#include <map>

#include "sluice/sluice.h"

namespace sluice::builtin {

class CountSink final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "count_sink", NodeKind::kSink,
      "Counts packets per stream; prints the counts and writes them as JSON."};
  static constexpr Input<Any> kIn{"in", "any packets"};
  static inline const Param<std::string> kPath{
      .name = "path",
      .default_value = "",
      .description = "JSON file to write at the end; empty: none",
      .is_path = true};
  static inline const Param<bool> kRecordSeqs{
      .name = "record_seqs",
      .default_value = false,
      .description = "also write every seq received, per stream"};
  static inline const Param<bool> kPrint{
      .name = "print", .default_value = true, .description = "print the counts at the end"};
  SLUICE_CONTRACT(kInfo, kIn, kPath, kRecordSeqs, kPrint);

  Status open(const Params& p) override {
    path_ = p.get(kPath);
    record_seqs_ = p.get(kRecordSeqs);
    print_ = p.get(kPrint);
    return ok();
  }
  Status process(Context& ctx) override {
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
  Status close(Context& ctx) override {
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

 private:
  struct StreamCount {
    int64_t count = 0, first = 0, last = 0;
    std::pair<int64_t, int32_t> last_key{0, 0};
    bool in_order = true;
    std::vector<int64_t> seqs;
  };
  std::string path_;
  bool record_seqs_ = false;
  bool print_ = true;
  std::map<uint32_t, StreamCount> streams_;
  int64_t total_ = 0;
};

}  // namespace sluice::builtin
