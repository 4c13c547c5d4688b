#include "attach_classifications.h"

namespace sluice::preprocessors {

Status AttachCropResults::open(const Params& p) {
  max_pending_ = static_cast<std::size_t>(p.get(kMaxPending));
  return ok();
}

Status AttachCropResults::process(Context& ctx) {
  // Unmatched inputs: each call brings one packet, on one of the two ports.
  const Packet& detections = ctx.packet(kDetections);
  if (!detections.empty()) return on_detections(ctx, detections);
  return on_results(ctx, results_packet(ctx));
}

Status AttachCropResults::close(Context& ctx) {
  for (auto& [id, stream] : streams_) flush(ctx, stream, true);
  return ok();
}

Status AttachCropResults::on_detections(Context& ctx, const Packet& packet) {
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

Status AttachCropResults::on_results(Context& ctx, const Packet& packet) {
  const PacketHeader& h = packet.header();
  if (h.sub_index < 0 || h.sub_index >= h.sub_count)
    return invalid_argument("`" + std::string(results_name()) +
                            "` got a result that is not about a crop (sub_index " +
                            std::to_string(h.sub_index) + " of " + std::to_string(h.sub_count) +
                            "): the model must run on crop_detections' `crops`");
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
    return invalid_argument("results for " + frame_text(h) + " disagree on the number of crops (" +
                            std::to_string(p.expected) + " and " + std::to_string(h.sub_count) +
                            ")");
  }
  if (!p.detections.empty()) {
    const std::size_t n = p.detections.get_if<Detections>()->items.size();
    if (n != static_cast<std::size_t>(h.sub_count)) return mismatch(h, n, h.sub_count);
  }
  Packet& slot = p.results[static_cast<std::size_t>(h.sub_index)];
  if (!slot.empty())
    return invalid_argument("the result for crop " + std::to_string(h.sub_index) + " of " +
                            frame_text(h) + " arrived twice: connect one model's results only");
  slot = packet;
  ++p.received;
  s.last_results = std::max(s.last_results, h.seq);
  flush(ctx, s, false);
  return ok();
}

void AttachCropResults::flush(Context& ctx, Stream& s, bool all) {
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

void AttachCropResults::send(Context& ctx, const Pending& p) {
  Detections out = *p.detections.get_if<Detections>();
  for (std::size_t i = 0; i < out.items.size(); ++i)
    apply(out.items[i], i < p.results.size() && !p.results[i].empty() ? &p.results[i] : nullptr);
  ctx.send(kOut, std::move(out), p.detections.header());
}

std::string AttachCropResults::frame_text(const PacketHeader& h) {
  return "stream " + std::to_string(h.stream_id) + " frame " + std::to_string(h.seq);
}

Status AttachCropResults::mismatch(const PacketHeader& h, std::size_t detections, int32_t crops) {
  return invalid_argument(
      frame_text(h) + " has " + std::to_string(detections) + " detections but " +
      std::to_string(crops) +
      " crops: `detections` must come from crop_detections' `cropped` output (not the "
      "detections crop_detections was given)");
}

}  // namespace sluice::preprocessors
