// Packet: an immutable, shared payload plus the header that says where it came from.
//
// Packets are cheap to copy (fan-out shares the payload) and cheaper to move. A node
// that changes data makes a new payload; it never edits one it received.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "sluice/geometry.h"
#include "sluice/payloads.h"

namespace sluice {

struct PacketHeader {
  uint32_t stream_id = 0;  // unique per stream across all sources of a run
  int64_t seq = 0;         // frame index within its stream, from 0
  // Sub-packets: one frame split into parts (a crop per detection). sub_index is the
  // part (0..sub_count-1), or -1 for a packet about the whole frame.
  int32_t sub_index = -1;
  int32_t sub_count = 0;
  int64_t pts_us = 0;      // presentation time in microseconds, from the source
  int64_t created_ns = 0;  // steady-clock time the source emitted it (for latency)
  Affine2D transform;      // source-frame pixels -> pixels of this packet's image
  std::shared_ptr<const Frame> source_frame;  // the frame this packet derives from, if any
};

class Packet {
 public:
  Packet() = default;
  Packet(PacketHeader header, std::shared_ptr<const void> payload, std::string_view type)
      : header_(std::move(header)), payload_(std::move(payload)), type_(type) {}

  template <class T>
  static Packet make(PacketHeader header, T value) {
    return Packet(std::move(header), std::make_shared<const T>(std::move(value)),
                  PayloadName<T>::value);
  }

  const PacketHeader& header() const { return header_; }
  PacketHeader& mutable_header() { return header_; }
  std::string_view type() const { return type_; }
  bool empty() const { return payload_ == nullptr; }
  const std::shared_ptr<const void>& payload() const { return payload_; }

  template <class T>
  bool holds() const {
    return type_ == PayloadName<T>::value;
  }
  // The payload as T, or nullptr when it is another type.
  template <class T>
  const T* get_if() const {
    return holds<T>() ? static_cast<const T*>(payload_.get()) : nullptr;
  }
  // The payload shared as T (same ownership), or empty when it is another type.
  template <class T>
  std::shared_ptr<const T> share() const {
    return holds<T>() ? std::static_pointer_cast<const T>(payload_) : nullptr;
  }

  // Used by the runtime to tie a payload's lifetime to the library whose code can free it.
  void set_payload(std::shared_ptr<const void> payload) { payload_ = std::move(payload); }

 private:
  PacketHeader header_;
  std::shared_ptr<const void> payload_;
  std::string_view type_;  // static string of the library that made the payload
};

}  // namespace sluice
