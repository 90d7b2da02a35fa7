// A tiny fork-join thread pool for the kernels, compiled in only when CAMSCOPE_THREADS is
// defined (the CMake option of the same name). The default builds stay single-threaded:
// there num_threads() is 1 and parallel_for calls fn(0, n) on the calling thread.
//
// parallel_for splits [0, n) into contiguous, disjoint ranges, one per thread, the caller
// running the first. The kernels only ever split independent output blocks (column or row
// panels of a GEMM, the 16 Winograd products, GEMV rows), never a reduction, so every output
// element sees the same float operations in the same order whatever the thread count:
// results are bit-identical to the single-threaded build.
#pragma once

namespace camscope {
namespace kernels {

#if defined(CAMSCOPE_THREADS)

#if defined(CAMSCOPE_MAX_THREADS)
constexpr int kMaxThreads = CAMSCOPE_MAX_THREADS;
#else
constexpr int kMaxThreads = 4;
#endif

// Threads parallel_for uses (the caller included). By default the hardware's count, at most
// kMaxThreads; natively the environment variable CAMSCOPE_NUM_THREADS overrides it.
int num_threads();
// Sets it (clamped to 1 .. kMaxThreads; 0: back to the default). Returns the count in force.
// Not while a parallel_for is running.
int set_num_threads(int n);

using RangeTask = void (*)(void* ctx, int begin, int end);
void parallel_for_impl(int n, RangeTask task, void* ctx);

// Calls fn(begin, end) on disjoint ranges covering [0, n), at most one per thread, and
// returns when all are done. A call from inside a range (nested) runs serially.
template <class F>
void parallel_for(int n, F&& fn) {
  parallel_for_impl(
      n, [](void* ctx, int begin, int end) { (*static_cast<F*>(ctx))(begin, end); },
      static_cast<void*>(&fn));
}

#else  // single-threaded builds

// One thread: the caller.
inline int num_threads() {
  return 1;
}

// fn(0, n) on the calling thread.
template <class F>
void parallel_for(int n, F&& fn) {
  if (n > 0) fn(0, n);
}

#endif  // CAMSCOPE_THREADS

}  // namespace kernels
}  // namespace camscope
