// The fork-join pool of threadpool.h: std::thread workers started on first use, woken per
// parallel_for by a generation counter, one parallel_for at a time.
#include "threadpool.h"

#if defined(CAMSCOPE_THREADS)

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#endif

namespace camscope {
namespace kernels {
namespace {

thread_local bool t_inside = false;  // this thread is running a range of a parallel_for

int default_threads() {
#if !defined(__EMSCRIPTEN__)
  if (const char* env = std::getenv("CAMSCOPE_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return std::min(n, kMaxThreads);
  }
#endif
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, std::min(hw, kMaxThreads));
}

class Pool {
 public:
  int threads() {
    std::lock_guard<std::mutex> lk(mu_);
    if (threads_ == 0) threads_ = default_threads();
    return threads_;
  }

  int set_threads(int n) {
    std::lock_guard<std::mutex> lk(mu_);
    threads_ = n <= 0 ? default_threads() : std::min(n, kMaxThreads);
    return threads_;
  }

  void run(int n, RangeTask task, void* ctx) {
    const int chunks = std::min(n, threads());
    if (chunks <= 1 || t_inside) {
      if (n > 0) task(ctx, 0, n);
      return;
    }
    std::lock_guard<std::mutex> one_at_a_time(dispatch_);
    std::unique_lock<std::mutex> lk(mu_);
    while (static_cast<int>(workers_.size()) < chunks - 1) {
      const int id = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, id, seen = gen_] { work(id, seen); });
    }
    task_ = task;
    ctx_ = ctx;
    n_ = n;
    chunks_ = chunks;
    pending_ = chunks - 1;
    ++gen_;
    lk.unlock();
    wake_.notify_all();
    t_inside = true;
    task(ctx, 0, end_of(0, n, chunks));
    t_inside = false;
    lk.lock();
    done_.wait(lk, [this] { return pending_ == 0; });
  }

 private:
  static int end_of(int chunk, int n, int chunks) {
    return static_cast<int>(static_cast<int64_t>(n) * (chunk + 1) / chunks);
  }

  void work(int id, uint64_t seen) {
    t_inside = true;
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      wake_.wait(lk, [&] { return gen_ != seen; });
      seen = gen_;
      if (id >= chunks_) continue;  // not needed this time
      const RangeTask task = task_;
      void* const ctx = ctx_;
      const int n = n_, chunks = chunks_;
      lk.unlock();
      task(ctx, end_of(id - 1, n, chunks), end_of(id, n, chunks));
      lk.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex dispatch_;  // held for a whole parallel_for
  std::mutex mu_;        // guards everything below
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;  // never joined: the pool lives as long as the process
  int threads_ = 0;
  uint64_t gen_ = 0;
  RangeTask task_ = nullptr;
  void* ctx_ = nullptr;
  int n_ = 0, chunks_ = 0, pending_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool;  // deliberately leaked: workers may still be waiting at exit
  return *p;
}

}  // namespace

int num_threads() {
  return pool().threads();
}

int set_num_threads(int n) {
  return pool().set_threads(n);
}

void parallel_for_impl(int n, RangeTask task, void* ctx) {
  pool().run(n, task, ctx);
}

}  // namespace kernels
}  // namespace camscope

#if defined(__EMSCRIPTEN__)
// For JavaScript (Module._camscope_set_threads(n)): the thread count, at most kMaxThreads
// (the module's PTHREAD_POOL_SIZE + 1); 0 restores the default. Returns the count in force.
extern "C" EMSCRIPTEN_KEEPALIVE int camscope_set_threads(int n) {
  return camscope::kernels::set_num_threads(n);
}
#endif

#endif  // CAMSCOPE_THREADS
