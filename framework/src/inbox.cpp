#include "inbox.h"

#include <algorithm>
#include <chrono>
#include <thread>

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

Inbox::Inbox(const std::vector<QueueSpec>& queues, const std::vector<int>& producers, bool matched)
    : matched_(matched) {
  ports_.reserve(queues.size());
  for (std::size_t i = 0; i < queues.size(); ++i) {
    ports_.push_back(Port{PacketRing(static_cast<std::size_t>(queues[i].capacity)),
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

bool Inbox::push_locked(std::unique_lock<std::mutex>& lock, int port, Packet&& packet) {
  Port& p = ports_[port];
  ++p.counters.pushed;
  if (p.ring.full()) {
    switch (p.overflow) {
      case Overflow::kDropNewest:
        ++p.counters.dropped;
        return false;
      case Overflow::kDropOldest:
        p.ring.pop_front();
        ++p.counters.dropped;
        break;
      case Overflow::kBlock:
        // As in pop: yield a moment before sleeping, the consumer is probably draining.
        for (int yields = 0; p.ring.full() && yields < kYieldsBeforeSleep;)
          yield_while_unchanged(lock, pop_count_, pop_count_atomic_, yields);
        ++producers_waiting_;
        space_cv_.wait(lock, [&] { return !p.ring.full(); });
        --producers_waiting_;
        break;
    }
  }
  p.ring.push_back(std::move(packet));
  push_count_atomic_.store(++push_count_, std::memory_order_release);
  p.counters.high_water =
      std::max<int64_t>(p.counters.high_water, static_cast<int64_t>(p.ring.size()));
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
    if (ports_[port].ring.full() && consumers_waiting_ > 0) data_cv_.notify_one();
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

// Finds one matched set among the queued packets, dropping packets that can never match.
bool Inbox::try_match(std::vector<Packet>& set) {
  set.resize(ports_.size());
  if (!matched_) {
    for (std::size_t k = 0; k < connected_.size(); ++k) {
      const int port = connected_[(next_port_ + k) % connected_.size()];
      if (ports_[port].ring.empty()) continue;
      for (auto& p : set) p = Packet();
      set[port] = ports_[port].ring.pop_front();
      next_port_ = (next_port_ + k + 1) % connected_.size();
      return true;
    }
    return false;
  }
  if (connected_.size() == 1) {
    Port& p = ports_[connected_[0]];
    if (p.ring.empty()) return false;
    set[connected_[0]] = p.ring.pop_front();
    return true;
  }
  std::vector<std::size_t> found(ports_.size());
  bool progress = true;
  while (progress) {
    progress = false;
    for (int head_port : connected_) {
      Port& hp = ports_[head_port];
      if (hp.ring.empty()) continue;
      const PacketHeader& h = hp.ring.at(0).header();
      bool complete = true;
      bool head_dead = false;
      for (int other : connected_) {
        if (other == head_port) continue;
        Port& op = ports_[other];
        std::size_t k = 0;
        while (k < op.ring.size() && op.ring.at(k).header().stream_id != h.stream_id) ++k;
        if (k == op.ring.size()) {
          complete = false;
          if (op.producers_left == 0) head_dead = true;  // no partner can come any more
          continue;
        }
        const PacketHeader& oh = op.ring.at(k).header();
        const auto key = std::make_pair(oh.seq, oh.sub_index);
        const auto head_key = std::make_pair(h.seq, h.sub_index);
        if (key > head_key) {
          head_dead = true;  // that port has moved past this frame
        } else if (key < head_key) {
          op.ring.erase(k);  // that packet is older than anything left on head_port's stream
          ++op.counters.unmatched;
          progress = true;
          complete = false;
        } else {
          found[other] = k;
        }
      }
      if (head_dead) {
        hp.ring.pop_front();
        ++hp.counters.unmatched;
        progress = true;
        continue;
      }
      if (!complete) continue;
      set[head_port] = hp.ring.pop_front();
      for (int other : connected_)
        if (other != head_port) set[other] = ports_[other].ring.erase(found[other]);
      return true;
    }
  }
  return false;
}

std::size_t Inbox::pop(std::vector<std::vector<Packet>>& sets, std::size_t max_sets,
                       int64_t* first_ticket, int64_t fill_wait_us) {
  std::unique_lock lock(mu_);
  if (connected_.empty()) return 0;
  if (sets.size() < max_sets) sets.resize(max_sets);
  std::size_t n = 0;
  int yields = 0;
  while (true) {
    while (n < max_sets && try_match(sets[n])) ++n;
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
  if (n > 0 && n < max_sets && fill_wait_us > 0) {
    // Batching: give the batch a moment to fill, but never wait past the deadline.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::microseconds(fill_wait_us);
    while (n < max_sets && !all_ended()) {
      if (producers_waiting_ > 0) space_cv_.notify_all();  // room for the rest of the batch
      ++consumers_waiting_;
      const bool timed_out = data_cv_.wait_until(lock, deadline) == std::cv_status::timeout;
      --consumers_waiting_;
      while (n < max_sets && try_match(sets[n])) ++n;
      if (timed_out) break;
    }
  }
  if (n == 0) {
    // Everything has ended: what is left can never be matched.
    for (int i : connected_) {
      ports_[i].counters.unmatched += static_cast<int64_t>(ports_[i].ring.size());
      while (!ports_[i].ring.empty()) ports_[i].ring.pop_front();
    }
  }
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
  while (n < max_sets && try_match(sets[n])) ++n;
  if (n == 0 && all_ended()) {
    for (int i : connected_) {
      ports_[i].counters.unmatched += static_cast<int64_t>(ports_[i].ring.size());
      while (!ports_[i].ring.empty()) ports_[i].ring.pop_front();
    }
  }
  if (n > 0) pop_count_atomic_.store(++pop_count_, std::memory_order_release);
  next_ticket_ += static_cast<int64_t>(n);
  if (n > 0 && producers_waiting_ > 0) space_cv_.notify_all();
  return n;
}

std::vector<PortCounters> Inbox::counters() const {
  std::lock_guard lock(mu_);
  std::vector<PortCounters> out;
  for (const auto& p : ports_) {
    out.push_back(p.counters);
    out.back().depth = static_cast<int64_t>(p.ring.size());
  }
  return out;
}

}  // namespace sluice::runtime
