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

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;

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
