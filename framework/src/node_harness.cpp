// NodeHarness: one node, loaded by name through the real loader and contract check,
// driven synchronously from a test.
#include "sluice/testing/node_harness.h"

#include <fmt/format.h>

#include <stdexcept>

#include "guarded_call.h"
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
  detail::ContextState context;
  std::atomic<bool> stop{false};
  std::vector<std::deque<Packet>> inputs;
  std::vector<bool> active;  // required, or pushed to at least once
  std::map<std::string, std::deque<Packet>> outputs;
  bool closed = false;

  void collect() {
    for (auto& [port, packet] : context.outputs)
      outputs[context.contract->outputs[port].name].push_back(std::move(packet));
    context.outputs.clear();
  }
};

namespace {}  // namespace

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
  s->context.contract = &c;
  s->context.sets[0].resize(c.inputs.size());
  s->context.library = s->type->library;
  s->context.stop = &s->stop;
  s->context.node_name = type;
  s->inputs.resize(c.inputs.size());
  for (const auto& in : c.inputs) s->active.push_back(in.required);
  Node* node = s->node.get();
  Status opened = guarded_call("open", [&] { return node->open(*params); });
  if (!opened.ok()) {
    s->closed = true;  // open failed: close is not called
    return Status(opened.code(), "open: " + opened.message());
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

Status NodeHarness::push(const std::string& input, Packet packet) {
  const Contract& c = contract();
  const PortSpec* port = c.find_input(input);
  if (!port) return invalid_argument(fmt::format("{} has no input '{}'", c.type, input));
  const std::size_t index = port - c.inputs.data();
  if (port->type != kAnyType && packet.type() != port->type)
    return invalid_argument(
        fmt::format("input '{}' takes {}, not {}", input, port->type, packet.type()));
  s_->inputs[index].push_back(std::move(packet));
  s_->active[index] = true;

  if (!port->matched) {
    // Unmatched inputs: each packet is processed alone, as it arrives.
    for (auto& p : s_->context.sets[0]) p = Packet();
    s_->context.sets[0][index] = std::move(s_->inputs[index].front());
    s_->inputs[index].pop_front();
  } else {
    for (std::size_t i = 0; i < s_->inputs.size(); ++i)
      if (s_->active[i] && s_->inputs[i].empty()) return ok();  // waiting for a partner
    const PacketHeader* key = nullptr;
    for (std::size_t i = 0; i < s_->inputs.size(); ++i) {
      if (!s_->active[i]) continue;
      const PacketHeader& h = s_->inputs[i].front().header();
      if (key &&
          (h.stream_id != key->stream_id || h.seq != key->seq || h.sub_index != key->sub_index))
        return invalid_argument(
            "the packets at the front of the inputs differ in stream, seq or sub_index");
      key = &h;
    }
    for (std::size_t i = 0; i < s_->inputs.size(); ++i) {
      s_->context.sets[0][i] = Packet();
      if (!s_->active[i]) continue;
      s_->context.sets[0][i] = std::move(s_->inputs[i].front());
      s_->inputs[i].pop_front();
    }
  }
  Context ctx(s_->context);
  Node* node = s_->node.get();
  Status status = guarded_call("process", [&] { return node->process(ctx); });
  for (auto& p : s_->context.sets[0]) p = Packet();
  if (status.ok())
    s_->collect();
  else
    s_->context.outputs.clear();
  return status;
}

Status NodeHarness::run_source(int64_t max_calls) {
  Context ctx(s_->context);
  Node* node = s_->node.get();
  for (int64_t i = 0; i < max_calls; ++i) {
    Status status = guarded_call("process", [&] { return node->process(ctx); });
    s_->collect();
    if (status.end_of_stream()) return ok();
    if (!status.ok()) return status;
  }
  return ok();
}

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
    if (const PortSpec* port = contract().find_input(name))
      s_->active[port - contract().inputs.data()] = true;
}

const std::map<std::string, int64_t>& NodeHarness::counters() const { return s_->context.counters; }

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
  Context ctx(s_->context);
  Node* node = s_->node.get();
  Status status = guarded_call("close", [&] { return node->close(ctx); });
  s_->collect();
  return status;
}

}  // namespace sluice::testing
