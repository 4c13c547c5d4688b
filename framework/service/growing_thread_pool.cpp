#include "growing_thread_pool.h"

namespace sluice::service {

GrowingThreadPool::GrowingThreadPool(std::size_t first_threads, std::size_t max_threads)
    : max_threads_(std::max(max_threads, first_threads)) {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < first_threads; ++i) start_thread();
}

GrowingThreadPool::~GrowingThreadPool() { shutdown(); }

void GrowingThreadPool::start_thread() {
  ++idle_;  // counted idle from the start, so that two jobs in a row start two threads
  threads_.emplace_back([this] { work(); });
}

void GrowingThreadPool::enqueue(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;  // the server has stopped listening
    jobs_.push_back(std::move(job));
    if (idle_ < jobs_.size() && threads_.size() < max_threads_) start_thread();
  }
  wake_.notify_one();
}

void GrowingThreadPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return !jobs_.empty() || shutting_down_; });
      if (jobs_.empty()) {  // shutting down, nothing left
        --idle_;
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
      --idle_;
    }
    job();
    std::lock_guard lock(mu_);
    ++idle_;
  }
}

void GrowingThreadPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (std::thread& t : threads) t.join();
}

}  // namespace sluice::service
