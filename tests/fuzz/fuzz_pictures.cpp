// libFuzzer target for the CLI's picture decoding (wasm/cli/image_io.cpp): JPEG through
// libjpeg-turbo with our error manager, WebP through libwebp, PNG/GIF/BMP through stb_image,
// the EXIF orientation readers, the size checks. Any input must end in pixels or an error
// message: no crash, no exit(), no unbounded allocation. Seeds: tiny pictures of every kind
// made by tests/pictures_test.py --seeds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* in, size_t size) {
  camscope::Picture pic;
  std::string error;
  const bool ok = camscope::decode_picture(in, size, pic, error);
  // A decoded picture is whole and within the limits; a failure always says why.
  if (ok && (pic.width < 1 || pic.height < 1 ||
             static_cast<long long>(pic.width) * pic.height > camscope::kMaxPicturePixels ||
             pic.rgb.size() != static_cast<size_t>(pic.width) * pic.height * 3)) {
    __builtin_trap();
  }
  if (!ok && error.empty()) __builtin_trap();
  return 0;
}
