// Puts a second model's results back onto the detections they were computed for: after
// crop_detections and a classifier that runs on its crops, detection i of a frame gets
// the Classifications of crop i in Detection::classes (replacing what it held).
//
//   links = ["detector -> crop", "crop.crops -> classifier -> attach.classes",
//            "crop.cropped -> attach.detections", "attach -> sink"]
//
//   [nodes.attach]
//   plugin = "attach_classifications"
//
// `detections` must be crop_detections' `cropped` output: the detections that got a
// crop, crop i being item i, sent for every frame (also with no crops). So this node
// knows from it how many results each frame waits for, whatever min_size skipped. A
// frame is sent when its detections and all its crops' results are in; one with no
// crops at once. Frames of a stream leave in frame order.
//
// Memory holds frames still waiting only. Results arrive in order per stream, so once a
// result for a later frame arrives, an earlier frame's missing ones were lost (dropped by a
// queue, or skipped by on_error = "skip"): that frame is sent with what it has (its
// detections without results get no classes; counter incomplete_frames). Results whose
// detections were lost are dropped (counter orphaned_results). A stream with more than
// max_pending frames waiting sends its oldest as it is. At the end everything left is sent.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::preproc {

class AttachClassifications final : public Node {
 public:
  static constexpr NodeInfo kInfo{
      "attach_classifications", NodeKind::kPostprocessor,
      "Attaches each crop's Classifications to its detection (after crop_detections)."};
  static constexpr Input<Detections> kDetections{
      "detections", "crop_detections' `cropped`: per frame, the detections that got a crop", true,
      false};
  static constexpr Input<Classifications> kClasses{
      "classes", "one result per crop sub-packet (header.sub_index: which crop)", true, false};
  static constexpr Output<Detections> kOut{
      "out", "per frame, the detections with their crop's classes; per stream in frame order"};
  static inline const Param<int> kMaxPending{
      .name = "max_pending",
      .default_value = 256,
      .description =
          "frames a stream may have waiting; beyond it the oldest is sent as it is "
          "(0: no limit)",
      .min = 0};
  SLUICE_CONTRACT(kInfo, kDetections, kClasses, kOut, kMaxPending);

  Status open(const Params& p) override {
    max_pending_ = static_cast<std::size_t>(p.get(kMaxPending));
    return ok();
  }

  Status process(Context& ctx) override {
    // Unmatched inputs: each call brings one packet, on one of the two ports.
    const Packet& detections = ctx.packet(kDetections);
    if (!detections.empty()) return on_detections(ctx, detections);
    return on_classes(ctx, ctx.packet(kClasses));
  }

  Status close(Context& ctx) override {
    for (auto& [id, stream] : streams_) flush(ctx, stream, true);
    return ok();
  }

 private:
  struct Pending {
    Packet detections;  // empty until the frame's detections arrive
    std::vector<std::shared_ptr<const Classifications>> results;  // by crop; sized on the first
    int32_t expected = -1;                                        // sub_count, once known
    int32_t received = 0;
  };
  struct Stream {
    std::map<int64_t, Pending> frames;  // by seq: the frames still waiting
    int64_t last_detections = -1;       // highest seq seen on each input
    int64_t last_results = -1;
    int64_t last_sent = -1;
  };

  static std::string frame_text(const PacketHeader& h) {
    return "stream " + std::to_string(h.stream_id) + " frame " + std::to_string(h.seq);
  }
  static Status mismatch(const PacketHeader& h, std::size_t detections, int32_t crops) {
    return invalid_argument(
        frame_text(h) + " has " + std::to_string(detections) + " detections but " +
        std::to_string(crops) +
        " crops: `detections` must come from crop_detections' `cropped` output (not the "
        "detections crop_detections was given)");
  }

  Status on_detections(Context& ctx, const Packet& packet) {
    const PacketHeader& h = packet.header();
    if (h.sub_index >= 0)
      return invalid_argument("`detections` got a sub-packet (sub_index " +
                              std::to_string(h.sub_index) +
                              "): it takes the whole-frame detections of crop_detections' "
                              "`cropped` output");
    Stream& s = streams_[h.stream_id];
    if (h.seq <= s.last_detections)
      return invalid_argument("detections for " + frame_text(h) +
                              " arrived twice or out of order: connect one crop_detections' "
                              "`cropped` output only");
    s.last_detections = h.seq;
    if (h.seq <= s.last_sent) {
      // Its results were given up on (see max_pending) and later frames have been sent.
      ctx.add_to_counter("late_detections");
      return ok();
    }
    Pending& p = s.frames[h.seq];
    const std::size_t n = packet.get_if<Detections>()->items.size();
    if (p.expected >= 0 && static_cast<std::size_t>(p.expected) != n)
      return mismatch(h, n, p.expected);
    p.detections = packet;
    flush(ctx, s, false);
    return ok();
  }

  Status on_classes(Context& ctx, const Packet& packet) {
    const PacketHeader& h = packet.header();
    if (h.sub_index < 0 || h.sub_index >= h.sub_count)
      return invalid_argument("`classes` got a result that is not about a crop (sub_index " +
                              std::to_string(h.sub_index) + " of " + std::to_string(h.sub_count) +
                              "): the classifier must run on crop_detections' `crops`");
    Stream& s = streams_[h.stream_id];
    if (h.seq <= s.last_sent) {
      // Its frame was already sent without it (see max_pending).
      ctx.add_to_counter("late_results");
      return ok();
    }
    Pending& p = s.frames[h.seq];
    if (p.expected < 0) {
      p.expected = h.sub_count;
      p.results.resize(static_cast<std::size_t>(h.sub_count));
    } else if (p.expected != h.sub_count) {
      return invalid_argument("results for " + frame_text(h) +
                              " disagree on the number of crops (" + std::to_string(p.expected) +
                              " and " + std::to_string(h.sub_count) + ")");
    }
    if (!p.detections.empty()) {
      const std::size_t n = p.detections.get_if<Detections>()->items.size();
      if (n != static_cast<std::size_t>(h.sub_count)) return mismatch(h, n, h.sub_count);
    }
    auto& slot = p.results[static_cast<std::size_t>(h.sub_index)];
    if (slot)
      return invalid_argument("the result for crop " + std::to_string(h.sub_index) + " of " +
                              frame_text(h) + " arrived twice: connect one classifier only");
    slot = packet.share<Classifications>();
    ++p.received;
    s.last_results = std::max(s.last_results, h.seq);
    flush(ctx, s, false);
    return ok();
  }

  // Sends the stream's frames that are done, oldest first, stopping at the first that
  // must wait; `all`: sends everything (at the end).
  void flush(Context& ctx, Stream& s, bool all) {
    while (!s.frames.empty()) {
      auto it = s.frames.begin();
      const int64_t seq = it->first;
      Pending& p = it->second;
      const bool over = max_pending_ > 0 && s.frames.size() > max_pending_;
      if (p.detections.empty()) {
        // Detections arrive in order: once a later frame's are in, these never will.
        if (!(all || over || s.last_detections > seq)) return;
        ctx.add_to_counter("orphaned_results", p.received);
      } else {
        const auto& items = p.detections.get_if<Detections>()->items;
        if (p.received != static_cast<int32_t>(items.size())) {
          // Results arrive in order: once a later frame's are in, the missing ones are lost.
          if (!(all || over || s.last_results > seq)) return;
          ctx.add_to_counter("incomplete_frames");
        }
        send(ctx, p);
      }
      s.last_sent = seq;
      s.frames.erase(it);
    }
  }

  void send(Context& ctx, const Pending& p) {
    Detections out = *p.detections.get_if<Detections>();
    for (std::size_t i = 0; i < out.items.size(); ++i) {
      out.items[i].classes.clear();
      if (i < p.results.size() && p.results[i]) out.items[i].classes = p.results[i]->top;
    }
    ctx.send(kOut, std::move(out), p.detections.header());
  }

  std::size_t max_pending_ = 256;
  std::map<uint32_t, Stream> streams_;
};

}  // namespace sluice::preproc
