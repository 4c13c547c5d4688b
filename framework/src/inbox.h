// Inbox: the bounded input queues of one node, one per input port, behind one lock.
//
// Producers push into a port's queue; when it is full the port's overflow policy decides:
// block the producer (nothing lost), drop the oldest queued packet, or drop the new one.
// Drops are counted exactly. The consumer (the node's thread, or its replicas) pops
// input sets: one packet per connected port, matched by stream id, seq and sub_index when
// the node has several connected inputs (or, for nodes whose inputs are not matched, each
// packet alone). A packet that can no longer find partners (its stream
// moved past it on another port, or that port ended) is dropped and counted as unmatched.
//
// Stream starts and ends (stream_event.h) are queued in order with the data, never count
// against a queue's capacity, are never dropped, and come out of pop as input sets of
// their own: a stream's start when its first start arrives on any port, its end once every
// port has received every end it will get for that stream (one per link that carries it)
// and everything queued before them has been popped. A packet whose partner port has ended
// its stream can no longer match: it is dropped and counted as unmatched.
//
// One lock per node rather than per port keeps multi-input matching simple and lets the
// consumer wait on all its ports at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "queue_spec.h"
#include "sluice/packet.h"

namespace sluice::runtime {

// A fixed-capacity ring of packets; no allocation after construction.
class PacketRing {
 public:
  explicit PacketRing(std::size_t capacity) : slots_(capacity) {}
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == slots_.size(); }
  Packet& at(std::size_t i) { return slots_[(head_ + i) % slots_.size()]; }
  void push_back(Packet&& p) {
    slots_[(head_ + size_) % slots_.size()] = std::move(p);
    ++size_;
  }
  Packet pop_front() {
    Packet p = std::move(slots_[head_]);
    head_ = (head_ + 1) % slots_.size();
    --size_;
    return p;
  }
  Packet erase(std::size_t i);  // removes the i-th packet, keeping the order of the rest
  void grow();                  // doubles the capacity, keeping the packets in order

 private:
  std::vector<Packet> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

struct PortCounters {
  int64_t pushed = 0;
  int64_t dropped = 0;     // by the overflow policy
  int64_t unmatched = 0;   // dropped because no partner packet could arrive
  int64_t high_water = 0;  // most packets queued at once
  int64_t depth = 0;       // packets queued now (filled in by Inbox::counters)
};

class Inbox {
 public:
  // `producers[i]`: how many links feed port i (0: not connected). `matched`: pop sets
  // matched across ports (else each packet alone, taking the ports in turn).
  // `ends_expected[source][port]`: how many ends of one stream of source node `source` port
  // `port` receives (the links into it that carry that source's streams); empty: one per
  // connected port, whatever the source (a node fed straight by one source: the harness).
  Inbox(const std::vector<QueueSpec>& queues, const std::vector<int>& producers,
        bool matched = true, std::vector<std::vector<int>> ends_expected = {});

  // Producer side. push may block (policy block) until the consumer makes room.
  void push(int port, Packet packet);
  // Pushes several packets in order under one lock; `copy` keeps the caller's packets.
  void push_many(int port, std::vector<Packet>& packets, bool copy);
  // One link into `port` has ended; when all have, the port has ended.
  void producer_done(int port);
  // Connects a port that had no producer, with one (the test harness: an optional input
  // counts once a test pushes to it). Packets queued on the others then wait for it too.
  void connect_port(int port);

  // Consumer side. Waits for up to `max_sets` input sets (at least one); each set has one
  // packet per port (empty for unconnected ports). A stream event comes alone as the last
  // set popped, in the first connected port's slot (stream_event_of tells it apart), and
  // ends a batch's wait for more sets. Returns the number popped and, through
  // `first_ticket`, the running number of the first (for restoring order after replicas).
  // Returns 0 when every port has ended and nothing more can match.
  // With `fill_wait_us` > 0, waits up to that long after the first set for `max_sets`
  // (batching a model's inputs).
  std::size_t pop(std::vector<std::vector<Packet>>& sets, std::size_t max_sets,
                  int64_t* first_ticket, int64_t fill_wait_us = 0);

  // Pops the input sets that are complete now, up to `max_sets`, without waiting (for a
  // consumer on the producer's thread: the test harness). After every port has ended it
  // drops what can never match, as pop does.
  std::size_t try_pop(std::vector<std::vector<Packet>>& sets, std::size_t max_sets);

  std::vector<PortCounters> counters() const;
  std::size_t port_count() const { return ports_.size(); }

 private:
  struct Port {
    PacketRing ring;
    std::size_t capacity;    // data packets; stream events come on top
    std::size_t data = 0;    // data packets queued
    std::size_t events = 0;  // stream events queued: while 0, no packet needs a look
    Overflow overflow;
    int producers_left;
    bool connected;
    PortCounters counters;
  };
  // A stream's events seen so far on this node's ports.
  struct StreamArrivals {
    uint32_t source = 0;
    std::vector<int> ends;  // per port
  };
  bool push_locked(std::unique_lock<std::mutex>& lock, int port, Packet&& packet);
  void push_event_locked(int port, Packet&& packet);
  bool all_ended() const;
  int ends_expected(uint32_t source, int port) const;
  bool port_ended_stream(int port, uint32_t stream) const;
  // Takes the stream events at the heads of the ports; true when one completes a stream's
  // start or end, which is then `set`.
  bool take_head_events(std::vector<Packet>& set);
  Packet pop_data(Port& p);
  // Whether the i-th queued packet of `p` is a stream event (cheap while it holds none).
  static bool event_at(Port& p, std::size_t i);
  void drop_unmatchable();
  Packet erase_data(Port& p, std::size_t i);
  static void yield_while_unchanged(std::unique_lock<std::mutex>& lock, uint64_t counter,
                                    const std::atomic<uint64_t>& published, int& yields);
  bool try_match(std::vector<Packet>& set);

  mutable std::mutex mu_;
  std::condition_variable data_cv_;   // consumers wait here
  std::condition_variable space_cv_;  // blocked producers wait here
  int consumers_waiting_ = 0;
  int producers_waiting_ = 0;
  std::vector<Port> ports_;
  std::vector<int> connected_;  // indices of connected ports
  std::vector<std::vector<int>> ends_expected_;
  std::map<uint32_t, StreamArrivals> arrivals_;  // streams started here and not yet ended
  bool matched_event_ = false;                   // the last set try_match found is a stream event
  bool matched_ = true;
  std::size_t next_port_ = 0;  // unmatched: where the turn starts
  int64_t next_ticket_ = 0;
  uint64_t push_count_ = 0;                     // packets queued so far (under mu_)
  std::atomic<uint64_t> push_count_atomic_{0};  // the same, readable without the lock
  uint64_t pop_count_ = 0;                      // pops so far (under mu_)
  std::atomic<uint64_t> pop_count_atomic_{0};
  static constexpr int kYieldsBeforeSleep = 16;
};

}  // namespace sluice::runtime
