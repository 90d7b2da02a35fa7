// stb_image / stb_image_write glue: the one translation unit holding their implementations.
#include "image_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

// stb's own code is not written for our warning flags; silence it here only.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Weverything"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wuseless-cast"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_HDR  // 8-bit pictures only; no float decoding paths
#include <stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace camscope {
namespace {

using File = std::unique_ptr<FILE, int (*)(FILE*)>;
using StbPixels = std::unique_ptr<stbi_uc, void (*)(void*)>;

// stb_image's reason for the last failure, never null.
std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return r != nullptr ? r : "unknown error";
}

}  // namespace

bool read_picture(const std::string& path, Picture& out, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "is a directory, not a picture";
    return false;
  }
  File f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  int w = 0, h = 0, comp = 0;
  if (stbi_info_from_file(f.get(), &w, &h, &comp) == 0) {
    error = "cannot decode picture: " + stb_reason();
    return false;
  }
  if (w <= 0 || h <= 0) {
    error = "picture has no pixels";
    return false;
  }
  const long long pixels = static_cast<long long>(w) * h;
  if (pixels > kMaxPicturePixels) {
    error = "picture is " + std::to_string(w) + "x" + std::to_string(h) + " (" +
            std::to_string(pixels / 1'000'000) + " megapixels), over the " +
            std::to_string(kMaxPicturePixels / 1'000'000) + "-megapixel limit";
    return false;
  }
  // stbi_info_from_file leaves the file position where it was: at the start.
  StbPixels data(stbi_load_from_file(f.get(), &w, &h, &comp, 3), &stbi_image_free);
  if (!data) {
    error = "cannot decode picture: " + stb_reason();
    return false;
  }
  if (w <= 0 || h <= 0 || static_cast<long long>(w) * h > kMaxPicturePixels) {
    error = "picture size changed while decoding";
    return false;
  }
  out.width = w;
  out.height = h;
  out.rgb.assign(data.get(), data.get() + static_cast<size_t>(w) * h * 3);
  return true;
}

bool write_png(const std::string& path, const uint8_t* pixels, int width, int height, int channels,
               std::string& error) {
  if (pixels == nullptr || width <= 0 || height <= 0 || channels < 1 || channels > 4) {
    error = "nothing to write";
    return false;
  }
  if (stbi_write_png(path.c_str(), width, height, channels, pixels, width * channels) == 0) {
    error = "cannot write PNG";
    return false;
  }
  return true;
}

}  // namespace camscope
