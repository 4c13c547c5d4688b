// Node types that exist only for the runtime's tests: typed ports (to test link type
// checks), a multi-input node that checks its inputs are matched, failing sources and
// constructors.
#include <cstdio>
#include <map>
#include <stdexcept>
#include <thread>

#include "sluice/sluice.h"

namespace sluice::test_nodes {

// Accepts Detections only; emits nothing.
class DetectionsSink final : public Node {
 public:
  static constexpr NodeInfo kInfo{"detections_sink", NodeKind::kSink,
                                  "Takes Detections (tests type checks)."};
  static constexpr Input<Detections> kIn{"in", "detections"};
  SLUICE_CONTRACT(kInfo, kIn);
  Status process(Context& ctx) override {
    (void)ctx.get(kIn).items.size();
    return ok();
  }
};

// One Detection per frame whose score is the frame's seq / 1000.
class FrameToDetections final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "frame_to_detections",
                                  .kind = NodeKind::kPostprocessor,
                                  .description = "One detection per frame, score = seq/1000.",
                                  .stateless = true};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Detections> kOut{"out", "one detection"};
  SLUICE_CONTRACT(kInfo, kIn, kOut);
  Status process(Context& ctx) override {
    Detections d;
    Detection one;
    one.box = cv::Rect2f(0, 0, 1, 1);
    one.score = static_cast<float>(ctx.header().seq) / 1000.f;
    one.class_id = 0;
    one.label = "x";
    d.items.push_back(one);
    ctx.send(kOut, std::move(d));
    return ok();
  }
};

// Three inputs, matched by the runtime: fails unless a and b (and c when connected)
// carry the same stream and seq; forwards a.
class ZipCheck final : public Node {
 public:
  static constexpr NodeInfo kInfo{"zip_check", NodeKind::kOther,
                                  "Checks that its inputs arrive matched."};
  static constexpr Input<Any> kA{"a", "first"};
  static constexpr Input<Any> kB{"b", "second"};
  static constexpr Input<Any> kC{.name = "c", .description = "third", .required = false};
  static constexpr Output<Any> kOut{
      .name = "out", .description = "a, forwarded", .same_type_as = "a"};
  SLUICE_CONTRACT(kInfo, kA, kB, kC, kOut);
  Status process(Context& ctx) override {
    const PacketHeader& a = ctx.packet(kA).header();
    const PacketHeader& b = ctx.packet(kB).header();
    if (a.stream_id != b.stream_id || a.seq != b.seq)
      return internal_error("inputs a and b are not matched");
    if (!ctx.packet(kC).empty()) {
      const PacketHeader& c = ctx.packet(kC).header();
      if (c.stream_id != a.stream_id || c.seq != a.seq)
        return internal_error("input c is not matched");
    }
    ctx.forward(kOut, ctx.take(kA));
    return ok();
  }
};

// A source that fails at frame `at_frame` by status or by throwing.
class FailingSource final : public Node {
 public:
  static constexpr NodeInfo kInfo{"failing_source", NodeKind::kSource,
                                  "Emits frames, fails at at_frame."};
  static constexpr Output<Frame> kOut{"out", "frames"};
  static inline const Param<int64_t> kAtFrame{
      .name = "at_frame", .default_value = 5, .description = "", .min = 0};
  static inline const Param<int64_t> kFrames{
      .name = "frames", .default_value = 10, .description = "", .min = 0};
  static inline const Param<bool> kThrow{
      .name = "throw", .default_value = false, .description = ""};
  SLUICE_CONTRACT(kInfo, kOut, kAtFrame, kFrames, kThrow);
  Status open(const Params& p) override {
    at_ = p.get(kAtFrame);
    frames_ = p.get(kFrames);
    throw_ = p.get(kThrow);
    return ok();
  }
  Status process(Context& ctx) override {
    if (seq_ >= frames_) return end_of_stream();
    const int64_t seq = seq_++;
    if (seq == at_) {
      if (throw_) throw std::runtime_error("source exploded");
      return unavailable("source lost its device");
    }
    ctx.send(kOut, Frame{}, ctx.source_header(0, seq, 0));
    return ok();
  }

 private:
  int64_t at_ = 5, frames_ = 10, seq_ = 0;
  bool throw_ = false;
};

// Its constructor throws.
class CtorThrows final : public Node {
 public:
  static constexpr NodeInfo kInfo{"ctor_throws", NodeKind::kOther, "Throws from its constructor."};
  static constexpr Input<Any> kIn{"in", "any"};
  SLUICE_CONTRACT(kInfo, kIn);
  CtorThrows() { throw std::runtime_error("constructor refused"); }
  Status process(Context&) override { return ok(); }
};

// Splits each frame into `parts` sub-packets (as crop_detections does per detection).
class Split final : public Node {
 public:
  static constexpr NodeInfo kInfo{"split", NodeKind::kOther, "Sub-packets: `parts` per frame."};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Frame> kOut{"out", "parts"};
  static inline const Param<int> kParts{
      .name = "parts", .default_value = 3, .description = "", .min = 1};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kParts);
  Status open(const Params& p) override {
    parts_ = p.get(kParts);
    return ok();
  }
  Status process(Context& ctx) override {
    for (int i = 0; i < parts_; ++i) {
      PacketHeader h = ctx.header();
      h.sub_index = i;
      h.sub_count = parts_;
      ctx.send(kOut, Frame{}, h);
    }
    return ok();
  }

 private:
  int parts_ = 3;
};

// Gathers a frame's sub-packets (unmatched inputs): emits, per frame, Detections with one
// item per part once the whole frame and all its parts have arrived.
class Gather final : public Node {
 public:
  static constexpr NodeInfo kInfo{"gather", NodeKind::kOther, "Joins sub-packets to frames."};
  static constexpr Input<Any> kWhole{
      .name = "whole", .description = "the frames", .matched = false};
  static constexpr Input<Any> kParts{
      .name = "parts", .description = "their sub-packets", .matched = false};
  static constexpr Output<Detections> kOut{"out", "one detection per part"};
  SLUICE_CONTRACT(kInfo, kWhole, kParts, kOut);
  Status process(Context& ctx) override {
    const bool whole = !ctx.packet(kWhole).empty();
    const PacketHeader& h = whole ? ctx.packet(kWhole).header() : ctx.packet(kParts).header();
    Pending& p = pending_[{h.stream_id, h.seq}];
    if (whole) {
      p.header = h;
      p.have_whole = true;
    } else {
      p.expected = h.sub_count;
      ++p.parts;
    }
    if (p.have_whole && p.expected > 0 && p.parts == p.expected) {
      Detections d;
      d.items.resize(p.parts);
      ctx.send(kOut, std::move(d), p.header);
      pending_.erase({h.stream_id, h.seq});
    }
    return ok();
  }

 private:
  struct Pending {
    PacketHeader header;
    bool have_whole = false;
    int expected = 0, parts = 0;
  };
  std::map<std::pair<uint32_t, int64_t>, Pending> pending_;
};

// A batching node (as a model is): takes up to max_batch input sets per call, forwards
// each with its own header, and counts calls and the largest batch seen.
class Batcher final : public Node {
 public:
  static constexpr NodeInfo kInfo{"batcher", NodeKind::kModel, "Batches; forwards each packet."};
  static constexpr Input<Any> kIn{"in", "any"};
  static constexpr Output<Any> kOut{
      .name = "out", .description = "the same packets", .same_type_as = "in"};
  static inline const Param<int> kMaxBatch{
      .name = "max_batch", .default_value = 4, .description = "", .min = 1};
  static inline const Param<double> kMaxDelayMs{
      .name = "max_delay_ms", .default_value = 5.0, .description = "", .min = 0.0};
  SLUICE_CONTRACT(kInfo, kIn, kOut, kMaxBatch, kMaxDelayMs);
  Status open(const Params& p) override {
    max_batch_ = p.get(kMaxBatch);
    max_delay_us_ = static_cast<int64_t>(p.get(kMaxDelayMs) * 1000);
    return ok();
  }
  int max_batch() const override { return max_batch_; }
  int64_t max_delay_us() const override { return max_delay_us_; }
  Status process(Context& ctx) override {
    ctx.add_to_counter("calls");
    const auto n = static_cast<int64_t>(ctx.batch_size());
    if (n > largest_) {
      ctx.add_to_counter("largest_batch", n - largest_);
      largest_ = n;
    }
    if (n > max_batch_) return internal_error("batch larger than max_batch");
    for (std::size_t i = 0; i < ctx.batch_size(); ++i) ctx.forward(kOut, ctx.take(kIn, i));
    return ok();
  }

 private:
  int max_batch_ = 4;
  int64_t max_delay_us_ = 5000;
  int64_t largest_ = 0;
};

// Frame -> float Tensor [1, 3, H, W]: pixel / 255 plus a ramp over x and seq, so that
// every packet and position differs.
class FrameToTensor final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "frame_to_tensor",
                                  .kind = NodeKind::kPreprocessor,
                                  .description = "Test tensors.",
                                  .stateless = true};
  static constexpr Input<Frame> kIn{"in", "BGR frames"};
  static constexpr Output<Tensor> kOut{"out", "[1, 3, H, W] float32"};
  SLUICE_CONTRACT(kInfo, kIn, kOut);
  Status process(Context& ctx) override {
    const cv::Mat& image = ctx.get(kIn).image;
    Tensor t = Tensor::zeros(DType::kFloat32, {1, 3, image.rows, image.cols});
    float* data = t.as<float>();
    const float seq = static_cast<float>(ctx.header().seq % 97) * 0.01f;
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < image.rows; ++y)
        for (int x = 0; x < image.cols; ++x)
          data[(c * image.rows + y) * image.cols + x] =
              image.at<cv::Vec3b>(y, x)[c] / 255.f + 0.003f * static_cast<float>(x + c) + seq;
    ctx.send(kOut, std::move(t));
    return ok();
  }
};

// Writes one line per Tensor packet: stream, seq, shape and every value (%.7g).
class TensorDumpSink final : public Node {
 public:
  static constexpr NodeInfo kInfo{"tensor_dump_sink", NodeKind::kSink, "Dumps tensors as text."};
  static constexpr Input<Tensor> kIn{"in", "tensors"};
  static inline const Param<std::string> kPath{
      .name = "path", .description = "text file", .required = true, .is_path = true};
  SLUICE_CONTRACT(kInfo, kIn, kPath);
  Status open(const Params& p) override {
    file_ = std::fopen(p.get(kPath).c_str(), "w");
    return file_ ? ok() : not_found("cannot write " + p.get(kPath));
  }
  Status process(Context& ctx) override {
    const Tensor& t = ctx.get(kIn);
    std::fprintf(file_, "%u %lld [", ctx.header().stream_id,
                 static_cast<long long>(ctx.header().seq));
    for (auto d : t.shape) std::fprintf(file_, " %lld", static_cast<long long>(d));
    std::fprintf(file_, " ]");
    for (int64_t i = 0; i < t.numel(); ++i) std::fprintf(file_, " %.7g", t.as<float>()[i]);
    std::fprintf(file_, "\n");
    return ok();
  }
  Status close(Context&) override {
    if (file_) std::fclose(file_);
    file_ = nullptr;
    return ok();
  }

 private:
  FILE* file_ = nullptr;
};

// Counts even frames in a node counter of its own.
class CountingSink final : public Node {
 public:
  static constexpr NodeInfo kInfo{"counting_sink", NodeKind::kSink, "Counts even frames."};
  static constexpr Input<Any> kIn{"in", "any"};
  SLUICE_CONTRACT(kInfo, kIn);
  Status process(Context& ctx) override {
    if (ctx.header().seq % 2 == 0) ctx.add_to_counter("even_frames");
    return ok();
  }
};

// Fails unless process and close run on the thread that ran open (the runner's promise to
// plugins that keep per-thread state, such as LibTorch's OpenMP team). Forwards frames.
class SameThread final : public Node {
 public:
  static constexpr NodeInfo kInfo{.type = "same_thread",
                                  .kind = NodeKind::kOther,
                                  .description = "Checks open/process/close share one thread.",
                                  .stateless = true};
  static constexpr Input<Frame> kIn{"in", "frames"};
  static constexpr Output<Frame> kOut{"out", "the same frames"};
  SLUICE_CONTRACT(kInfo, kIn, kOut);
  Status open(const Params&) override {
    opened_on_ = std::this_thread::get_id();
    return ok();
  }
  Status process(Context& ctx) override {
    if (std::this_thread::get_id() != opened_on_)
      return internal_error("process runs on another thread than open");
    ctx.forward(kOut, ctx.take(kIn));
    return ok();
  }
  Status close(Context&) override {
    if (std::this_thread::get_id() != opened_on_)
      return internal_error("close runs on another thread than open");
    return ok();
  }

 private:
  std::thread::id opened_on_;
};

}  // namespace sluice::test_nodes

SLUICE_EXPORT_NODES(sluice::test_nodes::DetectionsSink, sluice::test_nodes::FrameToDetections,
                    sluice::test_nodes::ZipCheck, sluice::test_nodes::FailingSource,
                    sluice::test_nodes::CtorThrows, sluice::test_nodes::Split,
                    sluice::test_nodes::Gather, sluice::test_nodes::CountingSink,
                    sluice::test_nodes::Batcher, sluice::test_nodes::FrameToTensor,
                    sluice::test_nodes::TensorDumpSink, sluice::test_nodes::SameThread)
