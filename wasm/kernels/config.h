// The kernel table and the active configuration (in the manner of XNNPACK's configs): every
// micro-kernel this build has is registered once, with its name, ISA, tile (MR x NR) and
// exactness class; a configuration picks one kernel of each kind for a class, and the packing
// functions and drivers of gemm.h / winograd.h read the tile from the chosen entry.
//
// Exactness classes:
//   exact -- the reference path: bit-identical across scalar, SSE2 and WebAssembly SIMD (see
//            ukernels.h); what every WebAssembly build runs.
//   fast  -- fused multiply-add kernels (AVX2+FMA, natively, chosen at run time by CPU
//            detection): held to tolerance tests against the exact class (1e-5 relative on
//            activations and maps), deterministic (same result for any thread count).
#pragma once

#include <string>
#include <vector>

#include "ukernels.h"

namespace camscope {
namespace kernels {

enum class Exactness { Exact, Fast };

// Largest tile and K block a registered GEMM kernel may have (the drivers' scratch on the
// stack: an edge tile, one B block of kMaxKC x kMaxNR floats in conv_gemm).
constexpr int kMaxMR = 8;
constexpr int kMaxNR = 16;
#if defined(CAMSCOPE_HAVE_AVX2_FMA)
constexpr int kMaxKC = 1024;
#else
constexpr int kMaxKC = 256;  // WebAssembly's small stacks: only the exact class's blocks
#endif

// One registered micro-kernel. mr x nr: the GEMM tile; kc: the K block the driver feeds it
// (the exact class's results depend on it: its running sums are stored at each block's end,
// so every exact kernel has kc = 256; fast ones take longer blocks, fewer C reloads); all 1
// for the GEMVs. cpu: whether this CPU runs it (null: whenever the build compiled it).
template <class Fn>
struct Ukernel {
  const char* name;
  const char* isa;
  Exactness cls;
  Fn fn;
  int mr;
  int nr;
  int kc;
  bool (*cpu)();
  bool available() const { return cpu == nullptr || cpu(); }
};
using GemmKernel = Ukernel<GemmUkernel>;
using GemvKernel = Ukernel<GemvUkernel>;
using Qs8GemvKernel = Ukernel<Qs8GemvUkernel>;

// Every kernel of each kind this build compiled, in order of preference (fastest first),
// whether or not this CPU runs it.
const std::vector<GemmKernel>& gemm_kernels();
const std::vector<GemvKernel>& gemv_kernels();
const std::vector<Qs8GemvKernel>& qs8_gemv_kernels();

// One kernel of each kind. The exact class takes the first available exact entry of each
// table; the fast class the first available entry of any class (exact kernels where this
// CPU has no fast one, e.g. every WebAssembly build).
struct Config {
  Exactness requested = Exactness::Exact;
  const GemmKernel* gemm = nullptr;
  const GemvKernel* gemv = nullptr;
  const Qs8GemvKernel* qs8_gemv = nullptr;
  // The class these kernels are in: exact only if every one of them is.
  Exactness cls() const;
  // One line, e.g. "fast (avx2+fma: f32_gemm_6x16__avx2_fma, f32_gemv__avx2_fma, ...)".
  std::string describe() const;
};

// The configuration of a class on this CPU (built once per class).
const Config& config_for(Exactness cls);
// The class a process starts with: the environment variable CAMSCOPE_KERNELS ("exact" or
// "fast"), else fast natively and exact in WebAssembly. `note` gets a message when the
// variable holds anything else (the class is then exact).
Exactness startup_class(std::string* note = nullptr);
// The active configuration: what gemm.h and winograd.h use when no kernel is passed.
const Config& config();
// Makes `cls` the active class (not while kernels run). Weights already packed keep the
// kernel they were packed for (ops::ConvWeights records it).
void select(Exactness cls);
// "exact" / "fast".
const char* class_name(Exactness cls);

}  // namespace kernels
}  // namespace camscope
