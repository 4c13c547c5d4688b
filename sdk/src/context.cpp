// The Context's non-template half: port lookup, output collection, stream ids.
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "context_state.h"
#include "sluice/node.h"
#include "stream_event.h"

namespace sluice {
namespace {

// Port names are usually string literals of the node's class, so after the first lookup a
// pointer comparison finds them; the string comparison is the fallback.
int find_port(const char* name, const std::vector<PortSpec>& ports,
              std::vector<const char*>& seen) {
  if (seen.size() != ports.size()) seen.assign(ports.size(), nullptr);
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (seen[i] == name) return static_cast<int>(i);
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].name == name) {
      seen[i] = name;
      return static_cast<int>(i);
    }
  }
  throw std::logic_error(std::string("no port named '") + name + "' in this node's contract");
}

}  // namespace

const Packet& Context::input(const char* name, std::size_t i) const {
  return s_.sets[i][find_port(name, s_.contract->inputs, s_.input_names)];
}

Packet Context::take_input(const char* name, std::size_t i) {
  return std::move(s_.sets[i][find_port(name, s_.contract->inputs, s_.input_names)]);
}

std::size_t Context::batch_size() const { return s_.batch_size; }

bool Context::stop_requested() const { return s_.stop && s_.stop->load(std::memory_order_relaxed); }

bool Context::serving() const { return s_.serving; }

const std::string& Context::node_name() const { return s_.node_name; }

void Context::add_to_counter(const std::string& name, int64_t delta) {
  std::lock_guard lock(s_.counters->mu);
  s_.counters->values[name] += delta;
}

int Context::output_index(const char* name) const {
  return find_port(name, s_.contract->outputs, s_.output_names);
}

const PacketHeader& Context::header(std::size_t i) const {
  for (const Packet& p : s_.sets[i])
    if (!p.empty()) return p.header();
  static const PacketHeader kNone;
  return kNone;
}

PacketHeader Context::source_header(uint32_t stream, int64_t seq, int64_t pts_us) const {
  PacketHeader h;
  h.stream_id = s_.run_stream_id(stream);
  h.seq = seq;
  h.pts_us = pts_us;
  h.created_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count();
  return h;
}

void Context::end_stream(uint32_t stream, const std::string& reason) {
  if (!s_.is_source) throw std::logic_error("end_stream is for sources; this node has inputs");
  const uint32_t id = s_.run_stream_id(stream);
  if (s_.ended_streams.count(id)) return;  // ended already: nothing more flows
  if (!s_.open_streams.count(id))          // ended before its first packet: start it first
    s_.outputs.emplace_back(-1, detail::make_stream_event(detail::StreamEvent::Kind::kStart,
                                                          s_.node_index, id, stream));
  s_.open_streams.erase(id);
  s_.ended_streams.insert(id);
  if (s_.last_open_stream == id) s_.last_open_stream = -1;
  s_.outputs.emplace_back(-1, detail::make_stream_event(detail::StreamEvent::Kind::kEnd,
                                                        s_.node_index, id, stream, reason));
}

void Context::emit(int port, Packet packet, bool new_payload) {
  if (s_.is_source && packet.header().stream_id != s_.last_open_stream) {
    // A source's stream starts with its first packet (the declared ones with the run).
    const uint32_t id = packet.header().stream_id;
    s_.last_open_stream = id;
    if (!s_.open_streams.count(id)) {
      if (s_.ended_streams.count(id))
        throw std::logic_error("sent a packet on stream " + std::to_string(id) +
                               " after ending it (end_stream)");
      s_.open_streams.insert(id);
      s_.outputs.emplace_back(
          -1, detail::make_stream_event(detail::StreamEvent::Kind::kStart, s_.node_index, id,
                                        s_.local_stream_id(id)));
    }
  }
  if (new_payload && s_.library) {
    // The payload's destructor is code of the plugin that made it: bundle a reference to
    // that library with the payload so the library outlives every copy of the packet.
    struct Bundle {
      std::shared_ptr<const void> library;  // declared first: released last
      std::shared_ptr<const void> payload;
    };
    const void* raw = packet.payload().get();
    auto bundle = std::make_shared<const Bundle>(Bundle{s_.library, packet.payload()});
    packet.set_payload(std::shared_ptr<const void>(bundle, raw));
  }
  // A frame that derives from no other (a source's) is its own source frame, so that
  // later stages can map results back onto it and draw on it.
  if (new_payload && !packet.header().source_frame && packet.holds<Frame>())
    packet.mutable_header().source_frame = packet.share<Frame>();
  s_.outputs.emplace_back(port, std::move(packet));
}

}  // namespace sluice

namespace sluice::detail {

Packet make_stream_event(StreamEvent::Kind kind, uint32_t source, uint32_t stream_id,
                         uint32_t local_stream, std::string reason) {
  StreamEvent e;
  e.kind = kind;
  e.source = source;
  e.end.stream_id = stream_id;
  e.end.local_stream = local_stream;
  e.end.reason = std::move(reason);
  PacketHeader h;
  h.stream_id = stream_id;
  h.seq = -1;
  return Packet(std::move(h), std::make_shared<const StreamEvent>(std::move(e)), kStreamEventType);
}

}  // namespace sluice::detail
