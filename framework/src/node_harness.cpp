// NodeHarness: one node, loaded by name through the real loader and contract check,
// driven synchronously from a test.
#include "sluice/testing/node_harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "guarded_call.h"
#include "inbox.h"
#include "node_call.h"
#include "param_check.h"
#include "pipeline.h"
#include "session.h"

namespace sluice::testing {

using runtime::Diagnostics;
using runtime::guarded_call;

struct NodeHarness::State {
  std::unique_ptr<runtime::PluginRegistry> registry;
  const runtime::NodeType* type = nullptr;
  runtime::NodePtr node;
  std::atomic<bool> stop{false};
  detail::ContextState context;  // made by make_context_state, as the runner's are
  // The node's input queues: the runner's Inbox, its required inputs connected at load, an
  // optional one once connect() names it or a packet is pushed to it.
  std::unique_ptr<runtime::Inbox> inbox;
  std::vector<bool> connected;
  std::vector<std::vector<Packet>> sets;  // popped input sets
  int max_batch = 1;
  std::map<std::string, std::deque<Packet>> outputs;
  std::vector<NodeHarness::StreamEvent> stream_events;  // sources: what the node emitted
  bool streams_started = false;                         // sources: the declared ones
  bool closed = false;

  void collect() {
    for (auto& [port, packet] : context.outputs) {
      if (port < 0) {  // a stream event (a source's); nodes with inputs get theirs from tests
        if (const detail::StreamEvent* e = detail::stream_event_of(packet))
          stream_events.push_back({e->kind == detail::StreamEvent::Kind::kStart, e->end});
        continue;
      }
      outputs[context.contract->outputs[port].name].push_back(std::move(packet));
    }
    context.outputs.clear();
  }

  // process() on the input sets that are complete, in calls of up to `per_call` sets, as
  // the runner makes them. Stops at the first error, which it returns.
  Status process_ready(std::size_t per_call) {
    while (true) {
      const std::size_t n = inbox->try_pop(sets, per_call);
      if (n == 0) return ok();
      const detail::StreamEvent* event = runtime::event_in(sets[n - 1]);
      const std::size_t data = event ? n - 1 : n;
      Status status = ok();
      if (data > 0) {
        status = runtime::load_input_sets(context, sets, 0, data);
        Context ctx(context);
        Node* instance = node.get();
        if (status.ok()) status = guarded_call("process", [&] { return instance->process(ctx); });
        runtime::release_input_sets(context);
      }
      if (status.ok() && event) status = runtime::call_stream_hook(*node, context, *event);
      if (!status.ok()) {
        context.outputs.clear();
        return status;
      }
      collect();
    }
  }

  // Queues a stream event on every connected input and runs what is then ready.
  Status stream_event(detail::StreamEvent::Kind kind, uint32_t stream_id, std::string reason) {
    Packet event = detail::make_stream_event(kind, 0, stream_id, stream_id, reason);
    if (std::find(connected.begin(), connected.end(), true) == connected.end()) {
      // Only optional inputs, none pushed to yet: nothing queued for the event to follow.
      Status s = runtime::call_stream_hook(*node, context, *detail::stream_event_of(event));
      if (!s.ok()) context.outputs.clear();
      collect();
      return s;
    }
    for (std::size_t i = 0; i < connected.size(); ++i)
      if (connected[i]) inbox->push(static_cast<int>(i), event);
    return process_ready(static_cast<std::size_t>(max_batch));
  }

  // Packets a test leaves waiting for partners; a full queue is an error, not a block.
  static constexpr runtime::QueueSpec kQueue{.capacity = 1024,
                                             .overflow = runtime::Overflow::kDropNewest};
};

Result<NodeHarness> NodeHarness::try_load(const std::string& type, const std::string& params_toml,
                                          const std::vector<std::string>& plugin_path) {
  auto s = std::make_unique<State>();
  SLUICE_ASSIGN_OR_RETURN(s->registry, runtime::load_plugins(plugin_path));
  SLUICE_ASSIGN_OR_RETURN(s->type, s->registry->lookup(type));
  if (!s->type)
    return not_found(fmt::format("unknown node type '{}'{}", type,
                                 runtime::did_you_mean(type, s->registry->type_names())));
  const Contract& c = s->type->contract;

  Diagnostics diagnostics;
  const std::string text =
      fmt::format("[pipeline]\n[nodes.node]\nplugin = \"{}\"\n{}\n", type, params_toml);
  auto spec = runtime::load_pipeline_text(text, "<harness params>", ".", {}, diagnostics);
  Result<Params> params = invalid_argument("");
  if (spec.ok())
    params = runtime::check_params("node", c, spec->nodes[0].params, ".", spec->nodes[0].where,
                                   diagnostics);
  if (!diagnostics.empty()) {
    std::string message;
    for (const auto& d : diagnostics) message += (message.empty() ? "" : "\n") + d.message;
    return invalid_argument(message);
  }

  SLUICE_ASSIGN_OR_RETURN(s->node, runtime::create_node(*s->type));
  s->context = runtime::make_context_state(c, s->type->library, &s->stop, type);
  std::vector<int> producers;
  for (const auto& in : c.inputs) {
    s->connected.push_back(in.required);
    producers.push_back(in.required ? 1 : 0);
  }
  s->inbox = std::make_unique<runtime::Inbox>(
      std::vector<runtime::QueueSpec>(c.inputs.size(), State::kQueue), producers,
      runtime::inputs_matched(c));
  Node* node = s->node.get();
  Status opened = guarded_call("open", [&] { return node->open(*params); });
  if (!opened.ok()) {
    s->closed = true;  // open failed: close is not called
    return Status(opened.code(), "open: " + opened.message());
  }
  (void)guarded_call("max_batch()", [&] {
    s->max_batch = std::max(1, node->max_batch());
    return ok();
  });
  if (c.inputs.empty()) {
    // A source's stream ids as in a run where it is the only source.
    s->context.is_source = true;
    (void)guarded_call("streams()", [&] {
      s->context.static_streams = static_cast<uint32_t>(std::max(0, node->streams()));
      return ok();
    });
    s->context.dynamic_base = s->context.static_streams;
  }
  return NodeHarness(std::move(s));
}

NodeHarness NodeHarness::load(const std::string& type, const std::string& params_toml,
                              const std::vector<std::string>& plugin_path) {
  auto h = try_load(type, params_toml, plugin_path);
  if (!h.ok()) throw std::runtime_error(h.status().message());
  return std::move(*h);
}

NodeHarness::NodeHarness(std::unique_ptr<State> state) : s_(std::move(state)) {}
NodeHarness::NodeHarness(NodeHarness&&) noexcept = default;
NodeHarness& NodeHarness::operator=(NodeHarness&&) noexcept = default;

NodeHarness::~NodeHarness() {
  if (s_ && !s_->closed) (void)close();
}

const Contract& NodeHarness::contract() const { return s_->type->contract; }

Status NodeHarness::queue(const std::string& input, Packet packet) {
  const Contract& c = contract();
  const PortSpec* port = c.find_input(input);
  if (!port) return invalid_argument(fmt::format("{} has no input '{}'", c.type, input));
  const std::size_t index = port - c.inputs.data();
  SLUICE_RETURN_IF_ERROR(runtime::check_payload_type(*port, packet));
  if (!s_->connected[index]) {
    s_->connected[index] = true;  // an optional input counts once pushed to
    s_->inbox->connect_port(static_cast<int>(index));
  }
  const int64_t dropped_before = s_->inbox->counters()[index].dropped;
  s_->inbox->push(static_cast<int>(index), std::move(packet));
  if (s_->inbox->counters()[index].dropped != dropped_before)
    return unavailable(
        fmt::format("input '{}' holds {} packets waiting for partners on the other inputs", input,
                    State::kQueue.capacity));
  return ok();
}

Status NodeHarness::push(const std::string& input, Packet packet) {
  SLUICE_RETURN_IF_ERROR(queue(input, std::move(packet)));
  return s_->process_ready(1);
}

Status NodeHarness::push_batch(const std::vector<InputSet>& sets) {
  for (const InputSet& set : sets)
    for (const auto& [input, packet] : set) SLUICE_RETURN_IF_ERROR(queue(input, packet));
  return s_->process_ready(static_cast<std::size_t>(s_->max_batch));
}

int64_t NodeHarness::unmatched() const {
  int64_t n = 0;
  for (const auto& pc : s_->inbox->counters()) n += pc.unmatched;
  return n;
}

Status NodeHarness::run_source(int64_t max_calls) {
  Context ctx(s_->context);
  Node* node = s_->node.get();
  if (!s_->streams_started) {
    s_->streams_started = true;
    runtime::start_declared_streams(s_->context);
    s_->collect();
  }
  for (int64_t i = 0; i < max_calls; ++i) {
    Status status = guarded_call("process", [&] { return node->process(ctx); });
    if (status.end_of_stream()) runtime::end_open_streams(s_->context, "end");
    s_->collect();
    if (status.end_of_stream()) return ok();
    if (!status.ok()) return status;
  }
  return ok();
}

Status NodeHarness::start_stream(uint32_t stream_id) {
  return s_->stream_event(detail::StreamEvent::Kind::kStart, stream_id, "");
}

Status NodeHarness::end_stream(uint32_t stream_id, const std::string& reason) {
  return s_->stream_event(detail::StreamEvent::Kind::kEnd, stream_id, reason);
}

const std::vector<NodeHarness::StreamEvent>& NodeHarness::stream_events() const {
  return s_->stream_events;
}

Status NodeHarness::stream_done(const StreamEnd& end) {
  Context ctx(s_->context);
  Node* node = s_->node.get();
  s_->context.ended_streams.erase(end.stream_id);  // as the runner does: the id may be reused
  Status status = guarded_call("stream_done", [&] { return node->stream_done(ctx, end); });
  s_->collect();
  return status;
}

StreamControl* NodeHarness::stream_control() {
  StreamControl* control = nullptr;
  (void)guarded_call("stream_control()", [&] {
    control = s_->node->stream_control();
    return ok();
  });
  return control;
}

RequestIntake* NodeHarness::request_intake() {
  RequestIntake* intake = nullptr;
  (void)guarded_call("request_intake()", [&] {
    intake = s_->node->request_intake();
    return ok();
  });
  return intake;
}

void NodeHarness::set_serving(bool serving) { s_->context.serving = serving; }

Packet NodeHarness::pull(const std::string& output) {
  auto& q = s_->outputs[output];
  if (q.empty()) return {};
  Packet p = std::move(q.front());
  q.pop_front();
  return p;
}

std::size_t NodeHarness::pending(const std::string& output) const {
  auto it = s_->outputs.find(output);
  return it == s_->outputs.end() ? 0 : it->second.size();
}

void NodeHarness::connect(const std::vector<std::string>& inputs) {
  for (const auto& name : inputs)
    if (const PortSpec* port = contract().find_input(name)) {
      const std::size_t index = port - contract().inputs.data();
      if (s_->connected[index]) continue;
      s_->connected[index] = true;
      s_->inbox->connect_port(static_cast<int>(index));
    }
}

const std::map<std::string, int64_t>& NodeHarness::counters() const {
  return s_->context.counters->values;
}

int64_t NodeHarness::expected_frames() const {
  int64_t n = -1;
  (void)guarded_call("expected_frames()", [&] {
    n = s_->node->expected_frames();
    return ok();
  });
  return n;
}

Status NodeHarness::close() {
  if (s_->closed) return ok();
  s_->closed = true;
  Status processed = ok();
  for (std::size_t i = 0; i < s_->connected.size(); ++i)
    if (s_->connected[i]) s_->inbox->producer_done(static_cast<int>(i));
  processed = s_->process_ready(static_cast<std::size_t>(s_->max_batch));
  // After an error process_ready stops early: drop (and count) what can never match.
  (void)s_->inbox->try_pop(s_->sets, 1);
  Context ctx(s_->context);
  Node* node = s_->node.get();
  Status status = guarded_call("close", [&] { return node->close(ctx); });
  s_->collect();
  return processed.ok() ? status : processed;
}

}  // namespace sluice::testing
