// Puts a second model's results back onto the detections they were computed for: after
// crop_detections and a model that runs on its crops, detection i of a frame gets crop i's
// result: attach_classifications puts a classifier's Classifications in
// Detection::classes (replacing what it held), attach_values a regression's Values in
// Detection::values (replacing values of the same names), attach_embeddings an Embedding in
// Detection::embedding. Chain them to attach several (age and gender on each face).
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

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::preprocessors {

// What both node types share: the frames waiting for their crops' results, and when they
// are complete. A node type says which input carries the results and where they go.
class AttachCropResults : public Node {
 public:
  static constexpr Input<Detections> kDetections{
      .name = "detections",
      .description = "crop_detections' `cropped`: per frame, the detections that got a crop",
      .matched = false};
  static constexpr Output<Detections> kOut{
      "out", "per frame, the detections with their crop's results; per stream in frame order"};
  static inline const Param<int> kMaxPending{
      .name = "max_pending",
      .default_value = 256,
      .description =
          "frames a stream may have waiting; beyond it the oldest is sent as it is "
          "(0: no limit)",
      .min = 0};

  Status open(const Params& p) override;
  Status process(Context& ctx) override;
  Status close(Context& ctx) override;

 protected:
  // The results input's packet of this call (empty when the call brings detections).
  virtual const Packet& results_packet(const Context& ctx) const = 0;
  // The results input's name, for messages.
  virtual const char* results_name() const = 0;
  // Puts crop i's result (or, with `result` empty, nothing) onto its detection.
  virtual void apply(Detection& d, const Packet* result) const = 0;

 private:
  struct Pending {
    Packet detections;            // empty until the frame's detections arrive
    std::vector<Packet> results;  // by crop; sized on the first
    int32_t expected = -1;        // sub_count, once known
    int32_t received = 0;
  };
  struct Stream {
    std::map<int64_t, Pending> frames;  // by seq: the frames still waiting
    int64_t last_detections = -1;       // highest seq seen on each input
    int64_t last_results = -1;
    int64_t last_sent = -1;
  };

  static std::string frame_text(const PacketHeader& h);
  static Status mismatch(const PacketHeader& h, std::size_t detections, int32_t crops);

  Status on_detections(Context& ctx, const Packet& packet);
  Status on_results(Context& ctx, const Packet& packet);

  // Sends the stream's frames that are done, oldest first, stopping at the first that
  // must wait; `all`: sends everything (at the end).
  void flush(Context& ctx, Stream& s, bool all);

  void send(Context& ctx, const Pending& p);

  std::size_t max_pending_ = 256;
  std::map<uint32_t, Stream> streams_;
};

class AttachClassifications final : public AttachCropResults {
 public:
  static constexpr NodeInfo kInfo{
      "attach_classifications", NodeKind::kPostprocessor,
      "Attaches each crop's Classifications to its detection (after crop_detections)."};
  static constexpr Input<Classifications> kClasses{
      .name = "classes",
      .description = "one result per crop sub-packet (header.sub_index: which crop)",
      .matched = false};
  SLUICE_CONTRACT(kInfo, kDetections, kClasses, kOut, kMaxPending);

 private:
  const Packet& results_packet(const Context& ctx) const override { return ctx.packet(kClasses); }
  const char* results_name() const override { return kClasses.name; }
  void apply(Detection& d, const Packet* result) const override {
    d.classes.clear();
    if (result) d.classes = result->get_if<Classifications>()->top;
  }
};

class AttachValues final : public AttachCropResults {
 public:
  static constexpr NodeInfo kInfo{
      "attach_values", NodeKind::kPostprocessor,
      "Attaches each crop's Values (regression) to its detection (after crop_detections)."};
  static constexpr Input<Values> kValues{
      .name = "values",
      .description = "one result per crop sub-packet (header.sub_index: which crop)",
      .matched = false};
  SLUICE_CONTRACT(kInfo, kDetections, kValues, kOut, kMaxPending);

 private:
  const Packet& results_packet(const Context& ctx) const override { return ctx.packet(kValues); }
  const char* results_name() const override { return kValues.name; }
  // Values of the same name are replaced, others kept: chained attach_values nodes (an
  // age head, a gender head) add up on one detection.
  void apply(Detection& d, const Packet* result) const override {
    if (!result) return;
    for (const NamedValue& v : result->get_if<Values>()->items) {
      auto same = std::find_if(d.values.begin(), d.values.end(),
                               [&](const NamedValue& o) { return o.name == v.name; });
      if (same == d.values.end())
        d.values.push_back(v);
      else
        same->value = v.value;
    }
  }
};

class AttachEmbeddings final : public AttachCropResults {
 public:
  static constexpr NodeInfo kInfo{
      "attach_embeddings", NodeKind::kPostprocessor,
      "Attaches each crop's Embedding to its detection (after crop_detections)."};
  static constexpr Input<Embedding> kEmbedding{
      .name = "embedding",
      .description = "one result per crop sub-packet (header.sub_index: which crop)",
      .matched = false};
  SLUICE_CONTRACT(kInfo, kDetections, kEmbedding, kOut, kMaxPending);

 private:
  const Packet& results_packet(const Context& ctx) const override { return ctx.packet(kEmbedding); }
  const char* results_name() const override { return kEmbedding.name; }
  void apply(Detection& d, const Packet* result) const override {
    d.embedding.clear();
    if (result) d.embedding = result->get_if<Embedding>()->values;
  }
};

}  // namespace sluice::preprocessors
