// Stream starts and ends as the runtime carries them: packets of a payload type of their
// own, queued in order with the stream's data, that never reach a node's process(). Made
// by the sources' Context (context.cpp) and by the runner; read by the Inbox and the
// runner. Not installed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/node.h"
#include "sluice/packet.h"

namespace sluice::detail {

struct StreamEvent {
  enum class Kind { kStart, kEnd };
  Kind kind = Kind::kStart;
  uint32_t source = 0;  // index of the source node in the pipeline that emitted the stream
  StreamEnd end;        // stream_id and local_stream for both kinds; reason for kEnd
};

inline constexpr std::string_view kStreamEventType = "sluice.stream_event";

Packet make_stream_event(StreamEvent::Kind kind, uint32_t source, uint32_t stream_id,
                         uint32_t local_stream, std::string reason = {});

// The event a packet carries, or nullptr for a data packet (or an empty one).
inline const StreamEvent* stream_event_of(const Packet& p) {
  // Compared by address first: every event is made by make_stream_event, with this literal.
  if (p.type().data() != kStreamEventType.data() && p.type() != kStreamEventType) return nullptr;
  return static_cast<const StreamEvent*>(p.payload().get());
}

}  // namespace sluice::detail
