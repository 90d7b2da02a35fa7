// Linear: the GEMV (float32 or int8 weights with row scales) and its transpose.
#include "kernels/gemm.h"
#include "ops.h"

namespace camscope {
namespace ops {

void linear_forward(const Node& n, const float* x, float* y) {
  if (!n.qweight.empty())
    kernels::gemv_qs8(n.cout, n.cin, n.qweight.data(), n.qscale.data(), n.cin, x, y);
  else
    kernels::gemv(n.cout, n.cin, n.weight.data(), n.cin, x, y);
}

void linear_forward_batch(const Node& n, const float* x, int count, float* y) {
  if (!n.qweight.empty())
    kernels::gemv_qs8_batch(n.cout, n.cin, n.qweight.data(), n.qscale.data(), n.cin, x, n.cin,
                            count, y, n.cout);
  else
    kernels::gemv_batch(n.cout, n.cin, n.weight.data(), n.cin, x, n.cin, count, y, n.cout);
}

void linear_backward(const Node& n, int k_rows, const float* gy, float* gx) {
  if (!n.qweight.empty())
    kernels::gemv_t_qs8(k_rows, n.cout, n.cin, gy, n.cout, n.qweight.data(), n.qscale.data(), n.cin,
                        gx, n.cin);
  else
    kernels::gemv_t(k_rows, n.cout, n.cin, gy, n.cout, n.weight.data(), n.cin, gx, n.cin);
}

}  // namespace ops
}  // namespace camscope
