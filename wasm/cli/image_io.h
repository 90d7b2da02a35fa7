// Picture files for the CLI: decoding with stb_image (PNG, JPEG, BMP, GIF, ...) and PNG output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace camscope {

// Largest picture the CLI decodes, in pixels (100 megapixels).
constexpr long long kMaxPicturePixels = 100'000'000;

// A decoded picture: interleaved 8-bit RGB, row-major, width * height * 3 bytes.
struct Picture {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// Decodes a picture file to RGB (alpha dropped, grey expanded). Checks the dimensions before
// decoding and refuses pictures over kMaxPicturePixels. On failure returns false and sets
// `error` to one line saying why (stb_image's reason for undecodable files).
bool read_picture(const std::string& path, Picture& out, std::string& error);

// Writes interleaved 8-bit pixels (channels 1..4) as a PNG file; false with `error` set.
bool write_png(const std::string& path, const uint8_t* pixels, int width, int height, int channels,
               std::string& error);

}  // namespace camscope
