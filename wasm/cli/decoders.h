// The CLI's picture decoders behind read_picture (image_io.cpp): libjpeg-turbo for JPEG,
// libwebp for WebP, and the EXIF orientation reader. Each decoder reproduces what PIL's
// decoder hands to `convert("RGB")`, so that the CLI sees the pixels PyTorch scripts see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace camscope {

// A decoded picture before the stated rules (alpha, orientation) are applied.
struct Decoded {
  int width = 0;
  int height = 0;
  int channels = 0;         // 3 (RGB) or 4 (RGBA, not premultiplied)
  std::vector<uint8_t> px;  // width * height * channels bytes, row-major
  int orientation = 1;      // EXIF orientation 1..8 (1: as stored)
};

// Checks a picture's size against kMaxPictureSide / kMaxPicturePixels before anything is
// allocated for it; false with `error` naming the size and the limit.
bool check_picture_size(long long width, long long height, std::string& error);

// Decodes a JPEG as PIL does: libjpeg-turbo's default settings (ISLOW IDCT, fancy
// upsampling); greyscale expanded; 4-component (CMYK/YCCK) taken as Adobe-inverted CMYK and
// converted to RGB with PIL's integer formula. Truncated files are refused, as PIL does.
bool decode_jpeg(const uint8_t* data, size_t size, Decoded& out, std::string& error);

// Decodes a WebP as PIL does (libwebp's animation decoder, first frame, RGBA).
bool decode_webp(const uint8_t* data, size_t size, Decoded& out, std::string& error);

// The Orientation tag (0x0112) of IFD0 in an EXIF block (a TIFF header, optionally preceded
// by "Exif\0\0"), as PIL's getexif() reads it; 1 if absent, unreadable or not in 2..8.
int exif_orientation(const uint8_t* data, size_t size);

// The EXIF block of a PNG (its eXIf chunk), empty if none; for exif_orientation.
std::vector<uint8_t> png_exif(const uint8_t* data, size_t size);

}  // namespace camscope
