#include "node_call.h"

#include <fmt/format.h>

#include "guarded_call.h"

namespace sluice::runtime {

detail::ContextState make_context_state(const Contract& contract,
                                        std::shared_ptr<const void> library,
                                        const std::atomic<bool>* stop, std::string node_name) {
  detail::ContextState state;
  state.contract = &contract;
  state.sets[0].resize(contract.inputs.size());
  state.library = std::move(library);
  state.stop = stop;
  state.node_name = std::move(node_name);
  return state;
}

bool inputs_matched(const Contract& contract) {
  return contract.inputs.empty() || contract.inputs[0].matched;
}

Status check_payload_type(const PortSpec& port, const Packet& packet) {
  if (packet.empty() || port.type == kAnyType || packet.type() == port.type) return ok();
  return invalid_argument(fmt::format("input '{}' takes {} but received a {} packet", port.name,
                                      port.type, packet.type()));
}

Status load_input_sets(detail::ContextState& state, std::vector<std::vector<Packet>>& sets,
                       std::size_t first, std::size_t count) {
  const Contract& contract = *state.contract;
  Status s;
  if (state.sets.size() < count) state.sets.resize(count);
  state.batch_size = count;
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<Packet>& set = sets[first + i];
    for (std::size_t p = 0; p < set.size() && s.ok(); ++p)
      s = check_payload_type(contract.inputs[p], set[p]);
    state.sets[i].swap(set);
  }
  return s;
}

void release_input_sets(detail::ContextState& state) {
  for (std::size_t i = 0; i < state.batch_size && i < state.sets.size(); ++i)
    for (auto& p : state.sets[i]) p = Packet();
}

const detail::StreamEvent* event_in(const std::vector<Packet>& set) {
  for (const Packet& p : set)
    if (!p.empty()) return detail::stream_event_of(p);
  return nullptr;
}

Status call_stream_hook(Node& node, detail::ContextState& state, const detail::StreamEvent& event) {
  release_input_sets(state);
  state.batch_size = 1;
  Context ctx(state);
  const bool start = event.kind == detail::StreamEvent::Kind::kStart;
  Status s = guarded_call(start ? "stream_started" : "stream_ended", [&] {
    return start ? node.stream_started(ctx, event.end.stream_id)
                 : node.stream_ended(ctx, event.end);
  });
  if (s.ok() || s.message().find(" threw") != std::string::npos) return s;
  return Status(s.code(),
                fmt::format("{}: {}", start ? "stream_started" : "stream_ended", s.message()));
}

void start_declared_streams(detail::ContextState& state) {
  for (uint32_t local = 0; local < state.static_streams; ++local) {
    const uint32_t id = state.stream_base + local;
    if (state.open_streams.count(id) || state.ended_streams.count(id)) continue;
    state.open_streams.insert(id);
    state.outputs.emplace_back(-1, detail::make_stream_event(detail::StreamEvent::Kind::kStart,
                                                             state.node_index, id, local));
  }
}

void end_open_streams(detail::ContextState& state, const std::string& reason) {
  Context ctx(state);
  const std::set<uint32_t> open = state.open_streams;
  for (uint32_t id : open) {
    ctx.end_stream(state.local_stream_id(id), reason);
  }
}

}  // namespace sluice::runtime
