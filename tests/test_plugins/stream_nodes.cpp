// Node types for the stream lifecycle tests: a source whose streams end at different
// times and that records which ones every sink is done with, and a sink that logs what it
// sees of each stream, in order.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::test_nodes {

// Emits `lengths[i]` frames on local stream i, the streams in turn, and ends each with
// end_stream after its last frame. With `hold` set, the streams still going wait after the
// first stream ended until the source has heard (stream_done) that every sink is done with
// it, and then until `release_file` exists (when set): the tests look at that stream's
// outputs while the others are still open. Counters: done_<local> per stream_done.
class StreamsSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{"streams_source", NodeKind::kSource,
                                  "Streams of different lengths, ended one by one."};
  static constexpr Output<Frame> kOut{"out", "16x16 grey frames"};
  static inline const Param<std::vector<int>> kLengths{
      .name = "lengths", .default_value = {3, 10}, .description = "frames per stream", .min = 0};
  static inline const Param<bool> kHold{
      .name = "hold", .default_value = false, .description = "see the class comment"};
  static inline const Param<std::string> kRelease{
      .name = "release_file", .default_value = "", .description = "see the class comment"};
  static inline const Param<int> kDeclared{
      .name = "declared",
      .default_value = 1,
      .description = "streams() it declares; the others are added as it goes",
      .min = 1};
  SLUICE_CONTRACT(kInfo, kOut, kLengths, kHold, kRelease, kDeclared);

  Status open(const Params& p) override {
    lengths_ = p.get(kLengths);
    hold_ = p.get(kHold);
    release_ = p.get(kRelease);
    declared_ = p.get(kDeclared);
    sent_.assign(lengths_.size(), 0);
    return ok();
  }
  int streams() const override { return declared_; }

  Status process(Context& ctx) override {
    if (waiting()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return ok();
    }
    for (std::size_t k = 0; k < lengths_.size(); ++k) {
      const std::size_t i = (next_ + k) % lengths_.size();
      if (ended_.count(i)) continue;
      next_ = i + 1;
      if (sent_[i] < lengths_[i]) {
        PacketHeader h = ctx.source_header(static_cast<uint32_t>(i), sent_[i]++, 0);
        ctx.send(kOut, Frame{cv::Mat(16, 16, CV_8UC3, cv::Scalar::all(8 * i)), PixelFormat::kBGR},
                 h);
      }
      if (sent_[i] == lengths_[i]) {
        ctx.end_stream(static_cast<uint32_t>(i));
        ended_.insert(i);
      }
      return ok();
    }
    return end_of_stream();
  }

  Status stream_done(Context& ctx, const StreamEnd& end) override {
    ctx.add_to_counter("done_" + std::to_string(end.local_stream));
    if (done_.empty() && ended_.size() < lengths_.size())
      ctx.add_to_counter("done_while_others_open");
    done_.insert(end.local_stream);
    return ok();
  }

 private:
  bool waiting() const {
    if (!hold_ || ended_.empty()) return false;
    if (done_.empty()) return true;
    return !release_.empty() && !std::filesystem::exists(release_);
  }

  std::vector<int> lengths_;
  std::vector<int> sent_;
  std::set<std::size_t> ended_;
  std::set<uint32_t> done_;
  bool hold_ = false;
  std::string release_;
  int declared_ = 1;
  std::size_t next_ = 0;
};

// Logs, one line each: "start S", "frame S SEQ", "end S REASON", and writes the log to
// `path` at close. stream_ended fails for stream `fail_on_end`.
class StreamLog final : public Node {
 public:
  static constexpr NodeInfo kInfo{"stream_log", NodeKind::kSink, "Logs streams and frames."};
  static constexpr Input<Any> kIn{"in", "anything"};
  static inline const Param<std::string> kPath{
      .name = "path", .description = "the log", .required = true, .is_path = true};
  static inline const Param<int> kFailOnEnd{
      .name = "fail_on_end", .default_value = -1, .description = "a stream id", .min = -1};
  SLUICE_CONTRACT(kInfo, kIn, kPath, kFailOnEnd);
  Status open(const Params& p) override {
    path_ = p.get(kPath);
    fail_on_end_ = p.get(kFailOnEnd);
    return ok();
  }
  Status process(Context& ctx) override {
    log_ += "frame " + std::to_string(ctx.header().stream_id) + " " +
            std::to_string(ctx.header().seq) + "\n";
    return ok();
  }
  Status stream_started(Context&, uint32_t stream) override {
    log_ += "start " + std::to_string(stream) + "\n";
    return ok();
  }
  Status stream_ended(Context&, const StreamEnd& end) override {
    if (static_cast<int>(end.stream_id) == fail_on_end_)
      return internal_error("cannot finish stream " + std::to_string(end.stream_id));
    log_ += "end " + std::to_string(end.stream_id) + " " + end.reason + "\n";
    return ok();
  }
  Status close(Context&) override {
    std::ofstream(path_) << log_;
    return ok();
  }

 private:
  std::string path_;
  std::string log_;
  int fail_on_end_ = -1;
};

}  // namespace sluice::test_nodes

SLUICE_EXPORT_NODES(sluice::test_nodes::StreamsSource, sluice::test_nodes::StreamLog)
