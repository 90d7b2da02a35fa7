// Picture decoding for the CLI: the format from the first bytes, then libjpeg-turbo
// (decode_jpeg.cpp), libwebp (decode_webp.cpp) or stb_image, then the stated rules
// (transparency over black, EXIF orientation). Also the one translation unit holding
// stb_image's and stb_image_write's implementations.
#include "image_io.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "decoders.h"

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
// Only the formats the page reads too (JPEG and WebP have their own decoders): the same
// pictures are accepted everywhere, and stb_image's other decoders are not exposed to
// untrusted files.
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
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

using StbPixels = std::unique_ptr<stbi_uc, void (*)(void*)>;

// stb_image's reason for the last failure, never null.
std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return r != nullptr ? r : "unknown error";
}

// PNG, BMP and GIF (first frame) through stb_image, as RGBA; the orientation of a PNG from
// its eXIf chunk, as PIL reads it.
bool decode_stb(const uint8_t* data, size_t size, Decoded& out, std::string& error) {
  out = Decoded();
  const char* format = data[0] == 0x89 ? "PNG" : data[0] == 'G' ? "GIF" : "BMP";
  const std::string failed =
      std::string("cannot decode ") + format + ": the file is damaged or truncated (stb_image: ";
  if (size > static_cast<size_t>(INT_MAX)) {
    error = "file too large";
    return false;
  }
  const int len = static_cast<int>(size);
  // A PNG's size is in its header: say it is too large before stb_image refuses it with a
  // vaguer reason.
  if (size >= 24 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) {
    const auto be32 = [&](size_t at) {
      return (uint32_t{data[at]} << 24) | (uint32_t{data[at + 1]} << 16) |
             (uint32_t{data[at + 2]} << 8) | data[at + 3];
    };
    if (!check_picture_size(be32(16), be32(20), error)) return false;
  }
  int w = 0, h = 0, comp = 0;
  if (stbi_info_from_memory(data, len, &w, &h, &comp) == 0) {
    error = failed + stb_reason() + ")";
    return false;
  }
  if (!check_picture_size(w, h, error)) return false;
  StbPixels px(stbi_load_from_memory(data, len, &w, &h, &comp, 4), &stbi_image_free);
  if (!px) {
    error = failed + stb_reason() + ")";
    return false;
  }
  if (!check_picture_size(w, h, error)) return false;
  out.width = w;
  out.height = h;
  out.channels = 4;
  out.px.assign(px.get(), px.get() + static_cast<size_t>(w) * static_cast<size_t>(h) * 4);
  const std::vector<uint8_t> exif = png_exif(data, size);
  if (!exif.empty()) out.orientation = exif_orientation(exif.data(), exif.size());
  return true;
}

// The transparency rule: RGBA -> RGB composited over black, round(c * a / 255) exactly
// ((c * a + 127) / 255: c * a / 255 is never halfway between integers).
std::vector<uint8_t> over_black(const std::vector<uint8_t>& rgba) {
  std::vector<uint8_t> rgb(rgba.size() / 4 * 3);
  for (size_t i = 0, j = 0; i + 3 < rgba.size(); i += 4, j += 3) {
    const unsigned a = rgba[i + 3];
    for (size_t k = 0; k < 3; ++k) rgb[j + k] = static_cast<uint8_t>((rgba[i + k] * a + 127) / 255);
  }
  return rgb;
}

// Turns a stored RGB picture upright as ImageOps.exif_transpose does for EXIF orientation
// 1..8 (PIL: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270,
// 7 TRANSVERSE, 8 ROTATE_90). Output pixel (x, y) is stored pixel
// (x0 + x * dxx + y * dyx, y0 + x * dxy + y * dyy).
void apply_orientation(Picture& pic, int orientation) {
  if (orientation < 2 || orientation > 8) return;
  const long long w = pic.width, h = pic.height;
  const bool swap = orientation >= 5;
  const long long ow = swap ? h : w, oh = swap ? w : h;
  long long x0 = 0, y0 = 0, dxx = 1, dxy = 0, dyx = 0, dyy = 1;
  switch (orientation) {
    case 2: x0 = w - 1, dxx = -1; break;
    case 3: x0 = w - 1, y0 = h - 1, dxx = -1, dyy = -1; break;
    case 4: y0 = h - 1, dyy = -1; break;
    case 5: dxx = 0, dxy = 1, dyx = 1, dyy = 0; break;
    case 6: y0 = h - 1, dxx = 0, dxy = -1, dyx = 1, dyy = 0; break;
    case 7: x0 = w - 1, y0 = h - 1, dxx = 0, dxy = -1, dyx = -1, dyy = 0; break;
    case 8: x0 = w - 1, dxx = 0, dxy = 1, dyx = -1, dyy = 0; break;
  }
  std::vector<uint8_t> out(pic.rgb.size());
  uint8_t* dst = out.data();
  for (long long y = 0; y < oh; ++y) {
    for (long long x = 0; x < ow; ++x, dst += 3) {
      const long long sx = x0 + x * dxx + y * dyx;
      const long long sy = y0 + x * dxy + y * dyy;
      const uint8_t* src = pic.rgb.data() + static_cast<size_t>((sy * w + sx) * 3);
      dst[0] = src[0];
      dst[1] = src[1];
      dst[2] = src[2];
    }
  }
  pic.rgb = std::move(out);
  pic.width = static_cast<int>(ow);
  pic.height = static_cast<int>(oh);
}

}  // namespace

bool check_picture_size(long long width, long long height, std::string& error) {
  if (width <= 0 || height <= 0) {
    error = "picture has no pixels";
    return false;
  }
  const std::string size = std::to_string(width) + "x" + std::to_string(height);
  if (width > kMaxPictureSide || height > kMaxPictureSide) {
    error = "picture is " + size + ", over the limit of " + std::to_string(kMaxPictureSide) +
            " pixels a side";
    return false;
  }
  if (width * height > kMaxPicturePixels) {
    error = "picture is " + size + " (" + std::to_string(width * height / 1'000'000) +
            " megapixels), over the " + std::to_string(kMaxPicturePixels / 1'000'000) +
            "-megapixel limit";
    return false;
  }
  return true;
}

bool decode_picture(const uint8_t* data, size_t size, Picture& out, std::string& error) {
  out = Picture();
  if (data == nullptr || size == 0) {
    error = "empty file";
    return false;
  }
  Decoded d;
  bool ok;
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    ok = decode_jpeg(data, size, d, error);
  } else if (size >= 12 && std::memcmp(data, "RIFF", 4) == 0 &&
             std::memcmp(data + 8, "WEBP", 4) == 0) {
    ok = decode_webp(data, size, d, error);
  } else if ((size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) ||
             (size >= 4 && std::memcmp(data, "GIF8", 4) == 0) ||
             (size >= 2 && data[0] == 'B' && data[1] == 'M')) {
    ok = decode_stb(data, size, d, error);
  } else {
    error = "not a picture camscope reads (JPEG, PNG, WebP, GIF or BMP)";
    return false;
  }
  if (!ok) return false;
  out.width = d.width;
  out.height = d.height;
  out.rgb = d.channels == 4 ? over_black(d.px) : std::move(d.px);
  apply_orientation(out, d.orientation);
  return true;
}

bool read_picture(const std::string& path, Picture& out, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "is a directory, not a picture";
    return false;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  f.seekg(0, std::ios::end);
  const std::streamoff end = f.tellg();
  f.seekg(0, std::ios::beg);
  if (end < 0 || !f) {
    error = "cannot read file";
    return false;
  }
  if (static_cast<unsigned long long>(end) > kMaxPictureFileBytes) {
    error = "file is " + std::to_string(end >> 20) + " MB, over the " +
            std::to_string(kMaxPictureFileBytes >> 20) + " MB limit for pictures";
    return false;
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(end));
  if (!bytes.empty()) f.read(reinterpret_cast<char*>(bytes.data()), end);
  if (!f) {
    error = "read error";
    return false;
  }
  return decode_picture(bytes.data(), bytes.size(), out, error);
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
