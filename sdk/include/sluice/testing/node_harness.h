// NodeHarness: test one node by its type name, through the real plugin loader, the real
// contract check and the runtime's own input queues (the Inbox: matching by stream, seq
// and sub_index, unmatched packets dropped and counted) and process() call, without
// writing a pipeline. Calls run on the test's thread.
//
//   auto h = sluice::testing::NodeHarness::load("score_filter", "min_score = 0.5");
//   h.push(ScoreFilter::kIn, detections_with_scores({0.9f, 0.1f}));
//   EXPECT_EQ(h.pull(ScoreFilter::kOut).get_if<sluice::Detections>()->items.size(), 1u);
//
// Lives in the runtime library (target sluice::testing), not in a plugin's own code.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sluice/node.h"

namespace sluice::testing {

class NodeHarness {
 public:
  // Loads node type `type` from the plugin search path (the build's plugin folder,
  // SLUICE_PLUGIN_PATH, then `plugin_path`), checks `params_toml` (TOML key = value
  // lines) against the contract and opens the node. Throws std::runtime_error with the
  // loader's or validator's message on failure; try_load returns it instead.
  static NodeHarness load(const std::string& type, const std::string& params_toml = "",
                          const std::vector<std::string>& plugin_path = {});
  static Result<NodeHarness> try_load(const std::string& type, const std::string& params_toml = "",
                                      const std::vector<std::string>& plugin_path = {});

  NodeHarness(NodeHarness&&) noexcept;
  NodeHarness& operator=(NodeHarness&&) noexcept;
  ~NodeHarness();  // closes the node if close() was not called

  const Contract& contract() const;

  // Queues a packet on an input. When every required input (and every optional input
  // pushed to so far) holds a packet of the same stream, seq and sub_index, process() runs
  // on that input set and its Status is returned; otherwise ok. A packet that can no longer
  // find its partners (another input has moved past its frame) is dropped and counted, as
  // in a run: see unmatched().
  Status push(const std::string& input, Packet packet);
  template <class T, class V>
  Status push(const Input<T>& port, V value, PacketHeader header = {}) {
    return push(port.name, Packet::make(std::move(header), std::move(value)));
  }

  // Batching nodes (Node::max_batch() > 1): queues every packet of `sets`, then runs
  // process() on the complete input sets in calls of up to max_batch() sets, as a run
  // gathers a batch. Returns the first error.
  using InputSet = std::vector<std::pair<std::string, Packet>>;  // input name, packet
  Status push_batch(const std::vector<InputSet>& sets);
  // Packets dropped because they could no longer be matched.
  int64_t unmatched() const;

  // Sources: calls process() until end of stream, an error, or `max_calls` calls.
  // Returns ok at end of stream (or after max_calls), else the error. As in a run, the
  // declared streams start before the first call and every open stream ends at the end.
  Status run_source(int64_t max_calls = 1'000'000);

  // Stream lifecycle, as a run brings it to a node with inputs: a stream's start or end
  // queued behind the packets pushed so far, on every connected input; the hook
  // (stream_started, stream_ended) runs once those are processed. Returns its Status.
  Status start_stream(uint32_t stream_id);
  Status end_stream(uint32_t stream_id, const std::string& reason = "end");
  // Sources: the stream starts and ends the node has emitted so far, in order, with
  // `started` true for a start.
  struct StreamEvent {
    bool started = false;
    StreamEnd stream;  // stream_id, local_stream; reason for an end
  };
  const std::vector<StreamEvent>& stream_events() const;
  // Sources: says every sink is done with `end` (the node's stream_done).
  Status stream_done(const StreamEnd& end);
  // Sources that take streams while running; nullptr for others.
  StreamControl* stream_control();
  // The node's request intake (Node::request_intake), or nullptr.
  RequestIntake* request_intake();
  // As `sluice run --http` does: the run serves the control API (Context::serving).
  void set_serving(bool serving);

  // The oldest unread packet of an output; an empty Packet when there is none.
  Packet pull(const std::string& output);
  template <class T>
  Packet pull(const Output<T>& port) {
    return pull(port.name);
  }
  // Unread packets waiting on an output.
  std::size_t pending(const std::string& output) const;

  // As at the end of a run's input: the input sets still complete are processed, what can
  // never match is dropped (unmatched()), then the node is closed.
  Status close();

  // Marks optional inputs as connected up front, so that the first packets pushed wait for
  // their partners on them (by default an optional input counts once pushed to).
  void connect(const std::vector<std::string>& inputs);
  // The node's own counters (Context::add_to_counter).
  const std::map<std::string, int64_t>& counters() const;
  // Sources: what the node said after open.
  int64_t expected_frames() const;

 private:
  struct State;
  explicit NodeHarness(std::unique_ptr<State> state);
  Status queue(const std::string& input, Packet packet);
  std::unique_ptr<State> s_;
};

}  // namespace sluice::testing
