// The kernel table (every micro-kernel registered once) and the active configuration.
#include "config.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace camscope {
namespace kernels {
namespace {

#if defined(CAMSCOPE_HAVE_AVX2_FMA)
// AVX2 and FMA, and the OS saving the YMM registers (libgcc's detection checks XGETBV).
bool cpu_avx2_fma() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}
#endif

constexpr Exactness kExact = Exactness::Exact;
constexpr Exactness kFast = Exactness::Fast;

}  // namespace

const std::vector<GemmKernel>& gemm_kernels() {
  static const std::vector<GemmKernel> table = {
#if defined(CAMSCOPE_HAVE_AVX2_FMA)
    {"f32_gemm_6x16__avx2_fma", "avx2+fma", kFast, f32_gemm_6x16__avx2_fma, 6, 16, 1024,
     cpu_avx2_fma},
    {"f32_gemm_8x8__avx2_fma", "avx2+fma", kFast, f32_gemm_8x8__avx2_fma, 8, 8, 1024, cpu_avx2_fma},
#endif
#if defined(__wasm_simd128__)
    {"f32_gemm_4x8__wasmsimd", "wasmsimd", kExact, f32_gemm_4x8__wasmsimd, 4, 8, 256, nullptr},
#endif
#if defined(__SSE2__)
    {"f32_gemm_4x8__sse2", "sse2", kExact, f32_gemm_4x8__sse2, 4, 8, 256, nullptr},
#endif
    {"f32_gemm_4x8__scalar", "scalar", kExact, f32_gemm_4x8__scalar, 4, 8, 256, nullptr},
  };
  return table;
}

const std::vector<GemvKernel>& gemv_kernels() {
  static const std::vector<GemvKernel> table = {
#if defined(CAMSCOPE_HAVE_AVX2_FMA)
    {"f32_gemv__avx2_fma", "avx2+fma", kFast, f32_gemv__avx2_fma, 1, 1, 1, cpu_avx2_fma},
#endif
#if defined(__wasm_simd128__)
    {"f32_gemv__wasmsimd", "wasmsimd", kExact, f32_gemv__wasmsimd, 1, 1, 1, nullptr},
#endif
#if defined(__SSE2__)
    {"f32_gemv__sse2", "sse2", kExact, f32_gemv__sse2, 1, 1, 1, nullptr},
#endif
    {"f32_gemv__scalar", "scalar", kExact, f32_gemv__scalar, 1, 1, 1, nullptr},
  };
  return table;
}

const std::vector<Qs8GemvKernel>& qs8_gemv_kernels() {
  static const std::vector<Qs8GemvKernel> table = {
#if defined(CAMSCOPE_HAVE_AVX2_FMA)
    {"f32_qs8_gemv__avx2_fma", "avx2+fma", kFast, f32_qs8_gemv__avx2_fma, 1, 1, 1, cpu_avx2_fma},
#endif
#if defined(__wasm_simd128__)
    {"f32_qs8_gemv__wasmsimd", "wasmsimd", kExact, f32_qs8_gemv__wasmsimd, 1, 1, 1, nullptr},
#endif
#if defined(__SSE2__)
    {"f32_qs8_gemv__sse2", "sse2", kExact, f32_qs8_gemv__sse2, 1, 1, 1, nullptr},
#endif
    {"f32_qs8_gemv__scalar", "scalar", kExact, f32_qs8_gemv__scalar, 1, 1, 1, nullptr},
  };
  return table;
}

namespace {

// The first entry of `table` this CPU runs that the class admits (the tables end with a
// scalar exact entry, so there always is one).
template <class K>
const K* pick(const std::vector<K>& table, Exactness cls) {
  for (const K& k : table)
    if (k.available() && (cls == kFast || k.cls == kExact)) return &k;
  return nullptr;
}

Config make_config(Exactness cls) {
  Config c;
  c.requested = cls;
  c.gemm = pick(gemm_kernels(), cls);
  c.gemv = pick(gemv_kernels(), cls);
  c.qs8_gemv = pick(qs8_gemv_kernels(), cls);
  return c;
}

std::string g_note;  // set once, before `active` is first read (see config())

const Config& startup_config() {
  static const Config& c = config_for(startup_class(&g_note));
  return c;
}

std::atomic<const Config*> active{nullptr};

}  // namespace

Exactness Config::cls() const {
  return gemm->cls == kExact && gemv->cls == kExact && qs8_gemv->cls == kExact ? kExact : kFast;
}

std::string Config::describe() const {
  std::string s = class_name(cls());
  s += " (";
  s += gemm->isa;
  s += ": ";
  s += gemm->name;
  s += ", ";
  s += gemv->name;
  s += ", ";
  s += qs8_gemv->name;
  s += ")";
  if (requested == kFast && cls() == kExact) s += "; no fast kernels for this CPU or build";
  if (!g_note.empty()) s += "; " + g_note;
  return s;
}

const Config& config_for(Exactness cls) {
  static const Config exact = make_config(kExact);
  static const Config fast = make_config(kFast);
  return cls == kExact ? exact : fast;
}

Exactness startup_class(std::string* note) {
#if defined(__EMSCRIPTEN__)
  (void)note;
  return kExact;  // the browser's builds: the reference path, bit-identical to native exact
#else
  const char* v = std::getenv("CAMSCOPE_KERNELS");
  if (v == nullptr || *v == '\0') return kFast;
  if (std::strcmp(v, "exact") == 0) return kExact;
  if (std::strcmp(v, "fast") == 0) return kFast;
  if (note) *note = std::string("CAMSCOPE_KERNELS='") + v + "' is not 'exact' or 'fast': exact";
  return kExact;
#endif
}

const Config& config() {
  const Config* c = active.load(std::memory_order_acquire);
  if (c == nullptr) {
    const Config* first = &startup_config();
    // A select() that ran meanwhile wins.
    if (active.compare_exchange_strong(c, first, std::memory_order_acq_rel)) c = first;
  }
  return *c;
}

void select(Exactness cls) {
  startup_config();  // the environment's note, if any, is read once either way
  active.store(&config_for(cls), std::memory_order_release);
}

const char* class_name(Exactness cls) {
  return cls == kExact ? "exact" : "fast";
}

}  // namespace kernels
}  // namespace camscope
