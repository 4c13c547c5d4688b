// How the runtime calls a node, written once for the runner and the test harness, so that
// a plugin's tests run the code a pipeline runs: the context state of an instance, and one
// process() call on input sets popped from an Inbox.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "context_state.h"
#include "sluice/node.h"
#include "stream_event.h"

namespace sluice::runtime {

// The state of one node instance of `contract`, empty inputs, nothing sent yet.
detail::ContextState make_context_state(const Contract& contract,
                                        std::shared_ptr<const void> library,
                                        const std::atomic<bool>* stop, std::string node_name);

// True when the node's inputs are matched into sets (Input::matched; a node declares all of
// its inputs one way), which is how its Inbox pops them.
bool inputs_matched(const Contract& contract);

// ok, or why `packet` may not go to input `port` (a payload type other than the port's).
Status check_payload_type(const PortSpec& port, const Packet& packet);

// Moves sets [first, first + count) into the instance's state for one process() call, and
// checks each packet's payload type against its port (links are checked before a run; this
// catches what an Any-typed producer sends). On an error the sets are moved in all the same.
Status load_input_sets(detail::ContextState& state, std::vector<std::vector<Packet>>& sets,
                       std::size_t first, std::size_t count);

// Drops the inputs of the last call, so that packets are not held until the next one.
void release_input_sets(detail::ContextState& state);

// The stream event an input set popped from an Inbox holds, or nullptr for data.
const detail::StreamEvent* event_in(const std::vector<Packet>& set);

// Calls the node's stream_started or stream_ended for `event`, outside any input set (the
// hook's ctx.header() is empty); what it sends is in state.outputs.
Status call_stream_hook(Node& node, detail::ContextState& state, const detail::StreamEvent& event);

// Sources: starts the streams the node declared (Node::streams()) and ends, with `reason`,
// every stream still open; the events are queued in state.outputs.
void start_declared_streams(detail::ContextState& state);
void end_open_streams(detail::ContextState& state, const std::string& reason);

}  // namespace sluice::runtime
