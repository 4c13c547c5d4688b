// The node API. This header is the contract between sluice and every plugin; it is
// written here once.
//
// A plugin is a shared library holding one or more node classes and one
// SLUICE_EXPORT_NODES line. Each node class declares its contract (SLUICE_CONTRACT, see
// contract.h) and implements some of open / process / close:
//
//   // Keeps detections scoring at least `min_score`.
//   //
//   //   [nodes.keep]
//   //   plugin = "score_filter"
//   //   min_score = 0.5
//   class ScoreFilter final : public sluice::Node {
//    public:
//     static constexpr sluice::NodeInfo kInfo{"score_filter", sluice::NodeKind::kPostprocessor,
//                                             "Keeps detections scoring at least min_score."};
//     static constexpr sluice::Input<sluice::Detections> kIn{"in", "detections"};
//     static constexpr sluice::Output<sluice::Detections> kOut{"out", "kept detections"};
//     static inline const sluice::Param<double> kMinScore{
//         .name = "min_score", .default_value = 0.5, .description = "lowest score kept",
//         .min = 0.0, .max = 1.0};
//     SLUICE_CONTRACT(kInfo, kIn, kOut, kMinScore);
//
//     sluice::Status open(const sluice::Params& p) override {
//       min_score_ = p.get(kMinScore);
//       return sluice::ok();
//     }
//     sluice::Status process(sluice::Context& ctx) override {
//       sluice::Detections kept;
//       for (const auto& d : ctx.get(kIn).items)
//         if (d.score >= min_score_) kept.items.push_back(d);
//       ctx.send(kOut, std::move(kept));
//       return sluice::ok();
//     }
//    private:
//     double min_score_ = 0.5;
//   };
//   SLUICE_EXPORT_NODES(ScoreFilter)
//
// Lifecycle and threading, as the runtime guarantees them:
// - One instance per node of a pipeline (N with `replicas = N`). An instance is never
//   called from two threads at once; replicas are distinct instances.
// - An instance's `open`, `process` and `close` all run on one thread, its own: what a
//   library keeps per thread (OpenMP's thread team and count, a CUDA stream, a
//   thread-local cache) can be set up in `open` and is there in `process`.
// - `open(params)` once, with every declared param checked and defaulted. A failing
//   open stops the run before any packet flows.
// - Sources (nodes with no inputs): `process` is called again and again until it returns
//   `end_of_stream()` or the run is stopped. Send at most a few packets per call and
//   return, so a stop request is seen; in a call that blocks, poll `ctx.stop_requested()`.
// - Other nodes: `process` is called once per input set: one packet per connected
//   input, matched by stream id, seq and sub_index when there are several inputs (unless
//   the inputs are declared matched = false). Read them with `ctx.get(kIn)`; their
//   payload types have been checked against the ports already. A batching node
//   (max_batch() > 1) gets several input sets per call.
// - Streams: every packet belongs to a stream (PacketHeader::stream_id). A stream's start
//   and end travel down the graph in order with its packets, through queues, replicas,
//   batches, fan-out and joins: `stream_started` is called before the first packet of a
//   stream reaches this node, `stream_ended` after its last one (each of its packets
//   processed here, or dropped and counted on the way). Both are optional; a node with
//   per-stream state (a file per stream, a tracker) finishes that stream's work in
//   `stream_ended`, while the run goes on. Packets sent from these hooks go downstream
//   ahead of the stream's end. With replicas, one replica's hook is called.
// - Sources start a stream with its first packet (the `streams()` they declare start with
//   the run) and end it with `ctx.end_stream`, or all together when `process` returns
//   `end_of_stream()`. Once every sink is done with a stream the source emitted,
//   `stream_done` is called on the source's thread, between `process` calls: the hook an
//   at-least-once source acknowledges on. A source that ends waits for these before its
//   `close`, unless the run has failed. Once `stream_done` has been called for a local
//   stream id, the source may use that id again for a new stream (http_request does: a
//   stream per request, for months, from a few ids).
// - `close(ctx)` once after the last `process` whenever `open` succeeded: at end of
//   stream, after a stop, or after a failure elsewhere. Packets sent from close (a flushed
//   batch) are delivered downstream unless the run has failed.
// - A returned error Status, or any exception thrown out of a method, is an error of
//   this node: the run stops (exit 1) naming node, stream and frame, unless the node has
//   `on_error = "skip"`, in which case that input set is dropped and counted.
// - Packets are immutable and shared. To change data, send a new payload.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sluice/contract.h"
#include "sluice/packet.h"
#include "sluice/params.h"
#include "sluice/served_request.h"
#include "sluice/status.h"

namespace sluice {

// Bumped whenever a change to the SDK breaks binary compatibility with built plugins.
// 2: the Context reaches the runtime's per-instance state through functions of sluice_sdk
// only, so that the runtime may change that state without breaking built plugins.
// 3: stream lifecycle hooks (stream_started, stream_ended, stream_done) and StreamControl.
// 4: Detection::velocity, landmark_scores, mask_rect, mask and values (Detection's layout
// changed); the Events and Values payloads.
// 5: Frame::origin and Detection::embedding (both layouts changed); the Embedding payload.
// 6: Node::request_intake (a new virtual function) and RequestIntake (served_request.h).
// 7: RequestIntake::protocol and model_metadata (KServe v2), ServedRequest::target.
inline constexpr uint32_t kAbiVersion = 7;

// A stream's end, as it reaches each node downstream and, once every sink is done with it,
// the source that emitted it.
struct StreamEnd {
  uint32_t stream_id = 0;     // the run's id (PacketHeader::stream_id)
  uint32_t local_stream = 0;  // the source's own id for it (Context::source_header)
  // Why it ended: "end" (the source finished it), "removed" (through the control API),
  // "stopped" (the run is stopping), or "failed: why" (lost for good).
  std::string reason = "end";
};

// What a source that takes streams while it runs reports about each (GET .../streams).
struct StreamStatus {
  uint32_t local_stream = 0;
  std::string uri;    // with any password hidden
  std::string state;  // "up", "reconnecting", "ending" (being removed), "ended", "failed"
  int64_t frames = 0;
  int64_t reconnects = 0;
  std::string error;  // why it failed or last dropped; empty when none
};

// Sources that add and remove streams while the run goes on (uri_source) implement this
// and return it from Node::stream_control(). Unlike every other node method, these are
// called from the service's threads, concurrently with process(): the node synchronizes.
class StreamControl {
 public:
  // Opens `uri` as a new stream and returns its local id once its first connection works;
  // an error (the uri does not open, or is not allowed) leaves the node as it was.
  virtual Result<uint32_t> add_stream(const std::string& uri) = 0;
  // Ends stream `local_stream` (its end flows down with reason "removed"); not_found when
  // there is no such stream running.
  virtual Status remove_stream(uint32_t local_stream) = 0;
  virtual std::vector<StreamStatus> stream_statuses() const = 0;

 protected:
  ~StreamControl() = default;
};

namespace detail {
// What the runtime keeps for one node instance. Its layout is the runtime's own
// (sdk/src/context_state.h), not part of the plugin ABI: plugins reach it through Context.
struct ContextState;
}  // namespace detail

// What a node sees during one call: its input packets, where to send outputs.
class Context {
 public:
  explicit Context(detail::ContextState& state) : s_(state) {}

  // The payload of a required input (for an optional one, use get_if). `i` picks the
  // input set of a batch (see Node::max_batch); other nodes always have one set.
  template <class T>
  const T& get(const Input<T>& port, std::size_t i = 0) const {
    return *static_cast<const T*>(input(port.name, i).payload().get());
  }
  // The payload of an optional input, or nullptr when it is not connected.
  template <class T>
  const T* get_if(const Input<T>& port, std::size_t i = 0) const {
    const Packet& p = input(port.name, i);
    return p.empty() ? nullptr : static_cast<const T*>(p.payload().get());
  }
  template <class T>
  const Packet& packet(const Input<T>& port, std::size_t i = 0) const {
    return input(port.name, i);
  }
  // Moves the input packet out, to forward it without touching reference counts.
  template <class T>
  Packet take(const Input<T>& port, std::size_t i = 0) {
    return take_input(port.name, i);
  }
  // The header of input set `i` (its first connected input's packet).
  const PacketHeader& header(std::size_t i = 0) const;
  // How many input sets this call holds: 1, or up to Node::max_batch() for a batching node.
  std::size_t batch_size() const;

  // Sends a new payload, with the header of this input set.
  template <class T, class V>
  void send(const Output<T>& port, V value) {
    send(port, std::move(value), header());
  }
  template <class T, class V>
  void send(const Output<T>& port, V value, PacketHeader header) {
    static_assert(std::is_same_v<T, V> || std::is_same_v<T, Any>, "payload type differs from port");
    emit(output_index(port.name), Packet::make(std::move(header), std::move(value)), true);
  }
  // Sends an existing packet unchanged (zero-copy forwarding).
  template <class T>
  void forward(const Output<T>& port, Packet packet) {
    emit(output_index(port.name), std::move(packet), false);
  }

  // For sources: a header for frame `seq` of local stream `stream` (0-based, below
  // Node::streams()); the runtime makes stream ids unique across sources.
  PacketHeader source_header(uint32_t stream, int64_t seq, int64_t pts_us) const;

  // True once the run is stopping (signal or failure): sources should return.
  bool stop_requested() const;
  // True when the run serves the control API (`sluice run --http`), through which streams
  // can be added to a source that takes them: such a source waits for new streams once
  // its own have ended, instead of ending the run.
  bool serving() const;
  const std::string& node_name() const;

  // For sources: ends local stream `stream` now, after the packets sent before it; its end
  // flows down the graph (see the node lifecycle above). Sending on it later is an error.
  void end_stream(uint32_t stream, const std::string& reason = "end");

  // Adds to a counter of this node's own ("reconnects", "bad_frames"); the run's
  // statistics report it beside the runtime's counters.
  void add_to_counter(const std::string& name, int64_t delta = 1);

 private:
  const Packet& input(const char* name, std::size_t i) const;
  Packet take_input(const char* name, std::size_t i);
  int output_index(const char* name) const;
  void emit(int port, Packet packet, bool new_payload);

  detail::ContextState& s_;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual Status open(const Params& params) {
    (void)params;
    return ok();
  }
  virtual Status process(Context& ctx) = 0;
  virtual Status close(Context& ctx) {
    (void)ctx;
    return ok();
  }
  // Batching (a model running several frames at once), asked once right after open: when
  // max_batch() > 1, the runtime gathers up to that many input sets (across streams),
  // waiting at most max_delay_us() after the first arrives, and passes them to one
  // process() call: read set i with ctx.get(kIn, i) and ctx.header(i), and send each
  // result with that set's header: ctx.send(kOut, result, ctx.header(i)).
  virtual int max_batch() const { return 1; }
  virtual int64_t max_delay_us() const { return 0; }

  // Sources, asked once right after open: how many streams this source emits (ids
  // 0..streams()-1 in source_header; 0 for one that only adds streams as it runs, with
  // ids from streams() up), and how many packets it will emit in all, or -1 when unknown
  // (live, looping); the progress line's ETA comes from the latter.
  virtual int streams() const { return 1; }
  virtual int64_t expected_frames() const { return -1; }

  // Stream lifecycle (see the top of this header). `stream_id` is the run's id.
  virtual Status stream_started(Context& ctx, uint32_t stream_id) {
    (void)ctx;
    (void)stream_id;
    return ok();
  }
  virtual Status stream_ended(Context& ctx, const StreamEnd& end) {
    (void)ctx;
    (void)end;
    return ok();
  }
  // Sources: every sink is done with this stream they emitted.
  virtual Status stream_done(Context& ctx, const StreamEnd& end) {
    (void)ctx;
    (void)end;
    return ok();
  }
  // Sources that take streams while running; asked once after open.
  virtual StreamControl* stream_control() { return nullptr; }
  // Sources that take requests served over HTTP (served_request.h); asked once after open.
  virtual RequestIntake* request_intake() { return nullptr; }
};

// What a plugin library exports: its ABI version and a factory per node type.
struct NodeFactory {
  Contract (*contract)();
  Node* (*create)();
};
struct PluginDescriptor {
  uint32_t abi_version;  // first, so a loader can read it before trusting the rest
  const NodeFactory* factories;
  std::size_t count;
};

namespace detail {
template <class N>
Node* create_node() {
  return new N();
}
template <class... N>
const PluginDescriptor* descriptor_of() {
  static const NodeFactory factories[] = {{&N::contract, &create_node<N>}...};
  static const PluginDescriptor descriptor{kAbiVersion, factories, sizeof...(N)};
  return &descriptor;
}
}  // namespace detail

}  // namespace sluice

#define SLUICE_PLUGIN_ENTRY_SYMBOL "sluice_plugin_descriptor"

// Exports the node classes of this library. Write it once per plugin library.
#define SLUICE_EXPORT_NODES(...)                                                      \
  extern "C" __attribute__((visibility("default"))) const ::sluice::PluginDescriptor* \
  sluice_plugin_descriptor() {                                                        \
    return ::sluice::detail::descriptor_of<__VA_ARGS__>();                            \
  }
