// Picture files for the CLI, decoded to the pixels PIL gives (and so PyTorch scripts, and
// Chromium but for CMYK JPEG): JPEG with libjpeg-turbo, WebP with libwebp, PNG / BMP / GIF
// with stb_image, nothing else; EXIF orientation applied; transparency composited over
// black. PNG output.
//
// The rules, the same in the page (web/src/images.js), stated in README.md
// (Conventions: Decoding):
//   - transparency: each colour channel becomes round(c * a / 255) = (c * a + 127) / 255 in
//     integers, i.e. the picture composited over black (an opaque pixel is unchanged);
//   - large pictures: no pre-shrinking; the core's antialiased resize reads every pixel. A
//     picture over kMaxPictureSide a side or kMaxPicturePixels in all, or a file over
//     kMaxPictureFileBytes, is refused before anything is allocated for its pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace camscope {

// Largest picture side, total pixels and file size the CLI (and the page) read.
constexpr long long kMaxPictureSide = 16384;
constexpr long long kMaxPicturePixels = 50'000'000;
constexpr size_t kMaxPictureFileBytes = size_t{64} << 20;

// A decoded picture: interleaved 8-bit RGB, row-major, width * height * 3 bytes.
struct Picture {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// Reads and decodes a picture file (see decode_picture). On failure returns false and sets
// `error` to one line saying why.
bool read_picture(const std::string& path, Picture& out, std::string& error);

// Decodes a picture held in memory to upright, opaque RGB under the rules above: the format
// from the first bytes, the size checked before decoding. False with `error` set on failure;
// never crashes on damaged or hostile data.
bool decode_picture(const uint8_t* data, size_t size, Picture& out, std::string& error);

// Writes interleaved 8-bit pixels (channels 1..4) as a PNG file; false with `error` set.
bool write_png(const std::string& path, const uint8_t* pixels, int width, int height, int channels,
               std::string& error);

}  // namespace camscope
