#include "node_call.h"

#include <fmt/format.h>

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

}  // namespace sluice::runtime
