// The HTTP server's threads. cpp-httplib's own pool has a fixed count (8 here), and each
// request waiting for an inference answer, or each preview viewer, holds one: with a
// fixed pool the 9th concurrent client would wait unseen in an unbounded queue of
// connections, and http_request could not answer it 503 at once. This pool starts a
// thread whenever none is idle, up to `max_threads`; threads stay once started (a
// service's count settles at its peak concurrency), and the queue beyond them is FIFO.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sluice::service {

class GrowingThreadPool final : public httplib::TaskQueue {
 public:
  GrowingThreadPool(std::size_t first_threads, std::size_t max_threads);
  ~GrowingThreadPool() override;
  void enqueue(std::function<void()> job) override;
  void shutdown() override;

 private:
  void start_thread();  // under mu_
  void work();

  const std::size_t max_threads_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;  // under mu_
  std::vector<std::thread> threads_;        // under mu_
  std::size_t idle_ = 0;                    // under mu_
  bool shutting_down_ = false;              // under mu_
};

}  // namespace sluice::service
