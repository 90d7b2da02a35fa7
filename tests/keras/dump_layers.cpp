// The core's own results at named layers, for tests/keras/keras_test.py to compare with
// TensorFlow.js:
//   dump_layers WEIGHTS.csw INPUT.npy OUT_DIR LAYER...
// INPUT.npy is a preprocessed C x H x W float32 tensor. Writes OUT_DIR/logits.npy (K) and, per
// layer (its name with '/' written as '~'), act__L.npy (C x H x W), grad__L.npy (K x C x H x W,
// d logit_c / d output, all classes) and gradcam__L.npy / layercam__L.npy (K x H x W raw maps).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "methods/methods.h"
#include "npy.h"
#include "session.h"

namespace {

// The file-name form of a layer name ('/' cannot be in a file name).
std::string file_name(std::string s) {
  for (char& c : s)
    if (c == '/') c = '~';
  return s;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "dump_layers: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: dump_layers WEIGHTS.csw INPUT.npy OUT_DIR LAYER...\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  camscope::Session s;
  std::string err;
  if (!s.load_weights(bytes.data(), bytes.size(), err))
    return fail(std::string(argv[1]) + ": " + err);
  camscope::NpyArray x;
  if (!camscope::read_npy(argv[2], x, err)) return fail(std::string(argv[2]) + ": " + err);
  if (x.shape.size() != 3) return fail(std::string(argv[2]) + ": need a C x H x W array");
  if (!s.set_input(camscope::Tensor{{x.shape[0], x.shape[1], x.shape[2]}, x.data}, err))
    return fail(err);
  const std::string dir = argv[3];
  const int k = static_cast<int>(s.logits().size());
  bool ok = camscope::write_npy(dir + "/logits.npy", s.logits().data(), {k});
  for (int i = 4; i < argc; ++i) {
    const int li = s.net().find(argv[i]);
    if (li < 0) return fail(std::string("no layer named ") + argv[i]);
    const camscope::Tensor& a = s.activation(li);
    const std::string f = file_name(argv[i]);
    const std::vector<int> chw = {a.shape.c, a.shape.h, a.shape.w};
    ok = ok && camscope::write_npy(dir + "/act__" + f + ".npy", a.data.data(), chw);
    std::vector<float> grads;
    for (int c = 0; c < k; ++c) {
      const float* g = s.gradient(li, c);
      if (g == nullptr) return fail(std::string("no gradient at ") + argv[i]);
      grads.insert(grads.end(), g, g + a.data.size());
    }
    ok = ok && camscope::write_npy(dir + "/grad__" + f + ".npy", grads.data(),
                                   {k, a.shape.c, a.shape.h, a.shape.w});
    for (const char* name : {"gradcam", "layercam"}) {
      const camscope::Method& m = *camscope::find_method(name);
      std::vector<float> maps;
      for (int c = 0; c < k; ++c) {
        const std::vector<float> map = s.cam(m.name, li, c);
        maps.insert(maps.end(), map.begin(), map.end());
      }
      ok = ok && camscope::write_npy(dir + "/" + m.name + "__" + f + ".npy", maps.data(),
                                     {k, a.shape.h, a.shape.w});
    }
  }
  return ok ? 0 : fail("cannot write to " + dir);
}
