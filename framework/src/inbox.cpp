#include "inbox.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "stream_event.h"

namespace sluice::runtime {

// Unlocks and yields the CPU until `counter` moves past its current value or the yield
// budget is spent, then locks again. Cheaper than a futex sleep and wake when the other
// side is about to act, which is the common case in a busy pipeline.
void Inbox::yield_while_unchanged(std::unique_lock<std::mutex>& lock, uint64_t counter,
                                  const std::atomic<uint64_t>& published, int& yields) {
  lock.unlock();
  for (; yields < kYieldsBeforeSleep && published.load(std::memory_order_acquire) == counter;
       ++yields)
    std::this_thread::yield();
  lock.lock();
}

Packet PacketRing::erase(std::size_t i) {
  Packet out = std::move(at(i));
  for (std::size_t k = i; k + 1 < size_; ++k) at(k) = std::move(at(k + 1));
  --size_;
  return out;
}

void PacketRing::grow() {
  std::vector<Packet> bigger(std::max<std::size_t>(slots_.size() * 2, 4));
  for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(at(i));
  slots_ = std::move(bigger);
  head_ = 0;
}

namespace {
bool is_event(const Packet& p) { return detail::stream_event_of(p) != nullptr; }
}  // namespace

Inbox::Inbox(const std::vector<QueueSpec>& queues, const std::vector<int>& producers, bool matched,
             std::vector<std::vector<int>> ends_expected)
    : ends_expected_(std::move(ends_expected)), matched_(matched) {
  ports_.reserve(queues.size());
  for (std::size_t i = 0; i < queues.size(); ++i) {
    const auto capacity = static_cast<std::size_t>(queues[i].capacity);
    // A few slots more than the capacity, for stream events (which grow the ring if need be).
    ports_.push_back(Port{PacketRing(capacity + 4),
                          capacity,
                          0,
                          0,
                          queues[i].overflow,
                          producers[i],
                          producers[i] > 0,
                          {}});
    if (producers[i] > 0) connected_.push_back(static_cast<int>(i));
  }
}

void Inbox::connect_port(int port) {
  std::lock_guard lock(mu_);
  Port& p = ports_[port];
  if (p.connected) return;
  p.connected = true;
  p.producers_left = 1;
  connected_.push_back(port);
  std::sort(connected_.begin(), connected_.end());
}

bool Inbox::event_at(Port& p, std::size_t i) { return p.events > 0 && is_event(p.ring.at(i)); }

Packet Inbox::erase_data(Port& p, std::size_t i) {
  // Only data comes out here: events leave through take_head_events (or drop_unmatchable).
  Packet out = i == 0 ? p.ring.pop_front() : p.ring.erase(i);
  --p.data;
  return out;
}

Packet Inbox::pop_data(Port& p) { return erase_data(p, 0); }

void Inbox::push_event_locked(int port, Packet&& packet) {
  // Never dropped and never blocked on: a stream's end must arrive, and costs one slot.
  Port& p = ports_[port];
  if (p.ring.full()) p.ring.grow();
  p.ring.push_back(std::move(packet));
  ++p.events;
  push_count_atomic_.store(++push_count_, std::memory_order_release);
}

bool Inbox::push_locked(std::unique_lock<std::mutex>& lock, int port, Packet&& packet) {
  if (is_event(packet)) {
    push_event_locked(port, std::move(packet));
    return true;
  }
  Port& p = ports_[port];
  ++p.counters.pushed;
  if (p.data >= p.capacity) {
    switch (p.overflow) {
      case Overflow::kDropNewest:
        ++p.counters.dropped;
        return false;
      case Overflow::kDropOldest: {
        std::size_t oldest = 0;
        while (event_at(p, oldest)) ++oldest;
        (void)erase_data(p, oldest);
        ++p.counters.dropped;
        break;
      }
      case Overflow::kBlock:
        // As in pop: yield a moment before sleeping, the consumer is probably draining.
        for (int yields = 0; p.data >= p.capacity && yields < kYieldsBeforeSleep;)
          yield_while_unchanged(lock, pop_count_, pop_count_atomic_, yields);
        ++producers_waiting_;
        space_cv_.wait(lock, [&] { return p.data < p.capacity; });
        --producers_waiting_;
        break;
    }
  }
  if (p.ring.full()) p.ring.grow();  // only when stream events hold the spare slots
  p.ring.push_back(std::move(packet));
  ++p.data;
  push_count_atomic_.store(++push_count_, std::memory_order_release);
  p.counters.high_water = std::max<int64_t>(p.counters.high_water, static_cast<int64_t>(p.data));
  return true;
}

void Inbox::push(int port, Packet packet) {
  std::unique_lock lock(mu_);
  push_locked(lock, port, std::move(packet));
  if (consumers_waiting_ > 0) data_cv_.notify_one();
}

void Inbox::push_many(int port, std::vector<Packet>& packets, bool copy) {
  std::unique_lock lock(mu_);
  for (Packet& p : packets) {
    // Wake the consumer before blocking, so it can make room.
    if (ports_[port].data >= ports_[port].capacity && consumers_waiting_ > 0) data_cv_.notify_one();
    push_locked(lock, port, copy ? Packet(p) : std::move(p));
  }
  if (consumers_waiting_ > 0) data_cv_.notify_all();
}

void Inbox::producer_done(int port) {
  std::lock_guard lock(mu_);
  --ports_[port].producers_left;
  data_cv_.notify_all();
}

bool Inbox::all_ended() const {
  for (int i : connected_)
    if (ports_[i].producers_left > 0) return false;
  return true;
}

int Inbox::ends_expected(uint32_t source, int port) const {
  if (ends_expected_.empty()) return ports_[port].connected ? 1 : 0;
  if (source >= ends_expected_.size()) return 0;
  return ends_expected_[source][port];
}

bool Inbox::port_ended_stream(int port, uint32_t stream) const {
  auto it = arrivals_.find(stream);
  if (it == arrivals_.end()) return false;
  const int expected = ends_expected(it->second.source, port);
  return expected > 0 && it->second.ends[port] >= expected;
}

bool Inbox::take_head_events(std::vector<Packet>& set) {
  for (int port : connected_) {
    Port& p = ports_[port];
    while (p.events > 0 && !p.ring.empty()) {
      const detail::StreamEvent* e = detail::stream_event_of(p.ring.at(0));
      if (!e) break;
      Packet event = p.ring.pop_front();
      --p.events;
      const uint32_t stream = e->end.stream_id;
      auto [it, first] = arrivals_.try_emplace(stream);
      if (first) {
        it->second.source = e->source;
        it->second.ends.assign(ports_.size(), 0);
      }
      bool complete = false;
      if (e->kind == detail::StreamEvent::Kind::kStart) {
        complete = first;  // the first start on any port; the others say the same
      } else {
        ++it->second.ends[port];
        complete = true;
        for (int q : connected_)
          if (it->second.ends[q] < ends_expected(it->second.source, q)) complete = false;
        if (complete) arrivals_.erase(it);
      }
      if (complete) {
        for (auto& slot : set) slot = Packet();
        set[connected_[0]] = std::move(event);
        matched_event_ = true;
        return true;
      }
    }
  }
  return false;
}

// Finds one input set among the queued packets: a completed stream event, or data matched
// across ports, dropping packets that can never match.
bool Inbox::try_match(std::vector<Packet>& set) {
  set.resize(ports_.size());
  matched_event_ = false;
  while (true) {
    if (take_head_events(set)) return true;
    bool events_exposed = false;  // a drop below left an event at a port's head
    if (!matched_) {
      for (std::size_t k = 0; k < connected_.size(); ++k) {
        const int port = connected_[(next_port_ + k) % connected_.size()];
        if (ports_[port].ring.empty()) continue;
        for (auto& p : set) p = Packet();
        set[port] = pop_data(ports_[port]);
        next_port_ = (next_port_ + k + 1) % connected_.size();
        return true;
      }
      return false;
    }
    if (connected_.size() == 1) {
      Port& p = ports_[connected_[0]];
      if (p.ring.empty()) return false;
      set[connected_[0]] = pop_data(p);
      return true;
    }
    std::vector<std::size_t> found(ports_.size());
    bool progress = true;
    while (progress) {
      progress = false;
      for (int head_port : connected_) {
        Port& hp = ports_[head_port];
        if (hp.ring.empty() || event_at(hp, 0)) continue;
        const PacketHeader& h = hp.ring.at(0).header();
        bool complete = true;
        bool head_dead = false;
        for (int other : connected_) {
          if (other == head_port) continue;
          Port& op = ports_[other];
          std::size_t k = 0;
          const detail::StreamEvent* e = nullptr;
          for (; k < op.ring.size(); ++k) {
            if (op.ring.at(k).header().stream_id != h.stream_id) continue;
            e = op.events > 0 ? detail::stream_event_of(op.ring.at(k)) : nullptr;
            if (!e || e->kind == detail::StreamEvent::Kind::kEnd) break;  // a start: look on
          }
          if (k < op.ring.size() && e) {
            head_dead = true;  // that port ends this stream before any partner
            continue;
          }
          if (k == op.ring.size()) {
            complete = false;
            // No partner can come any more: the port has ended, or has ended this stream.
            if (op.producers_left == 0 || port_ended_stream(other, h.stream_id)) head_dead = true;
            continue;
          }
          const PacketHeader& oh = op.ring.at(k).header();
          const auto key = std::make_pair(oh.seq, oh.sub_index);
          const auto head_key = std::make_pair(h.seq, h.sub_index);
          if (key > head_key) {
            head_dead = true;  // that port has moved past this frame
          } else if (key < head_key) {
            (void)erase_data(op, k);  // older than anything left on head_port's stream
            ++op.counters.unmatched;
            progress = true;
            complete = false;
            if (k == 0 && !op.ring.empty() && event_at(op, 0)) events_exposed = true;
          } else {
            found[other] = k;
          }
        }
        if (head_dead) {
          (void)pop_data(hp);
          ++hp.counters.unmatched;
          progress = true;
          if (!hp.ring.empty() && event_at(hp, 0)) events_exposed = true;
          continue;
        }
        if (!complete) continue;
        set[head_port] = pop_data(hp);
        for (int other : connected_)
          if (other != head_port) set[other] = erase_data(ports_[other], found[other]);
        return true;
      }
    }
    if (!events_exposed) return false;
  }
}

std::size_t Inbox::pop(std::vector<std::vector<Packet>>& sets, std::size_t max_sets,
                       int64_t* first_ticket, int64_t fill_wait_us) {
  std::unique_lock lock(mu_);
  if (connected_.empty()) return 0;
  if (sets.size() < max_sets) sets.resize(max_sets);
  std::size_t n = 0;
  int yields = 0;
  // A stream event ends the sets popped at once: it is handled after the data before it,
  // and a batch never waits for more once a stream has ended.
  auto last_is_event = [&] { return n > 0 && matched_event_; };
  while (true) {
    while (n < max_sets && !last_is_event() && try_match(sets[n])) ++n;
    if (n > 0 || all_ended()) break;
    if (yields < kYieldsBeforeSleep) {
      // Let the producer run for a moment before sleeping: when packets stream in, the
      // next few arrive while we yield, and a batch costs one wake-up instead of one each.
      yield_while_unchanged(lock, push_count_, push_count_atomic_, yields);
      continue;
    }
    ++consumers_waiting_;
    data_cv_.wait(lock);
    --consumers_waiting_;
  }
  if (n > 0 && n < max_sets && fill_wait_us > 0 && !last_is_event()) {
    // Batching: give the batch a moment to fill, but never wait past the deadline.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(fill_wait_us);
    while (n < max_sets && !all_ended()) {
      if (producers_waiting_ > 0) space_cv_.notify_all();  // room for the rest of the batch
      ++consumers_waiting_;
      const bool timed_out = data_cv_.wait_until(lock, deadline) == std::cv_status::timeout;
      --consumers_waiting_;
      while (n < max_sets && !last_is_event() && try_match(sets[n])) ++n;
      if (timed_out || last_is_event()) break;
    }
  }
  if (n == 0) drop_unmatchable();
  if (n > 0) pop_count_atomic_.store(++pop_count_, std::memory_order_release);
  if (first_ticket) *first_ticket = next_ticket_;
  next_ticket_ += static_cast<int64_t>(n);
  if (n > 0 && producers_waiting_ > 0) space_cv_.notify_all();
  return n;
}

std::size_t Inbox::try_pop(std::vector<std::vector<Packet>>& sets, std::size_t max_sets) {
  std::unique_lock lock(mu_);
  if (connected_.empty()) return 0;
  if (sets.size() < max_sets) sets.resize(max_sets);
  std::size_t n = 0;
  auto last_is_event = [&] { return n > 0 && matched_event_; };
  while (n < max_sets && !last_is_event() && try_match(sets[n])) ++n;
  if (n == 0 && all_ended()) drop_unmatchable();
  if (n > 0) pop_count_atomic_.store(++pop_count_, std::memory_order_release);
  next_ticket_ += static_cast<int64_t>(n);
  if (n > 0 && producers_waiting_ > 0) space_cv_.notify_all();
  return n;
}

void Inbox::drop_unmatchable() {
  // Everything has ended: what is left can never be matched.
  for (int i : connected_) {
    Port& p = ports_[i];
    p.counters.unmatched += static_cast<int64_t>(p.data);
    while (!p.ring.empty()) p.ring.pop_front();
    p.data = 0;
    p.events = 0;
  }
  arrivals_.clear();
}

std::vector<PortCounters> Inbox::counters() const {
  std::lock_guard lock(mu_);
  std::vector<PortCounters> out;
  for (const auto& p : ports_) {
    out.push_back(p.counters);
    out.back().depth = static_cast<int64_t>(p.data);
  }
  return out;
}

}  // namespace sluice::runtime
