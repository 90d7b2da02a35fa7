// libFuzzer target for the weights loader. The input is "description text, NUL, data
// bytes"; the harness wraps it in a valid header with a correct CRC so the fuzzer spends its
// time in the parser and the tensor checks rather than on the checksum. Inputs without a
// NUL are fed to the loader as whole files. The header's version follows the description's
// first line ("camscope 2" -> 2, else 1), so both formats are fuzzed.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "plan.h"
#include "weights_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* in, size_t size) {
  std::string err;
  camscope::Net net;
  const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(in, 0, size));
  if (nul == nullptr) {
    camscope::load_weights(in, size, net, err);
    return 0;
  }
  const size_t desc = static_cast<size_t>(nul - in);
  const size_t data = size - desc - 1;
  const size_t start = (32 + desc + 15) / 16 * 16;
  std::vector<uint8_t> f(start + data, 0);
  std::memcpy(f.data(), "CAMSCOPE", 8);
  auto put = [&](size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  put(8, desc >= 10 && std::memcmp(in, "camscope 2", 10) == 0 ? 2 : 1, 4);
  put(12, desc, 4);
  put(16, data, 8);
  if (desc) std::memcpy(f.data() + 32, in, desc);
  if (data) std::memcpy(f.data() + start, nul + 1, data);
  put(24, camscope::crc32(f.data() + 32, f.size() - 32), 4);
  if (camscope::load_weights(f.data(), f.size(), net, err, size_t{256} << 20)) {
    const camscope::Shape s = net.info.input;
    if (s.size() > (1u << 16)) return 0;
    auto model = camscope::Model::build(std::move(net));
    camscope::Activations acts;
    camscope::ops::Workspace ws;
    if (model->forward(camscope::Tensor::zeros(s), acts, ws, &err)) {
      camscope::Gradients g;
      model->backward_to(acts, camscope::kGraphInput, g, ws);
    }
  }
  return 0;
}
