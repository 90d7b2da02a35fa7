// EXIF orientation, read the way PIL's getexif() reads it (Pillow 9.4's
// TiffImagePlugin.ImageFileDirectory_v2.load), so that the CLI turns exactly the pictures
// that ImageOps.exif_transpose turns: the last IFD0 entry 0x0112 of a type PIL knows wins,
// its first value counts if numerically equal to 2..8, and a value PIL cannot read stops the
// walk (entries before it stay).
#include <cmath>
#include <cstring>

#include "decoders.h"

namespace camscope {
namespace {

constexpr uint16_t kOrientationTag = 0x0112;

// Reads TIFF integers of either byte order, bounds-checked against the block.
struct TiffReader {
  const uint8_t* p;
  size_t n;
  bool big_endian;

  // Whether bytes [at, at + len) lie inside the block.
  bool has(uint64_t at, uint64_t len) const { return at <= n && len <= n - at; }
  // Unsigned integer of `bytes` bytes at `at` (caller checked has()).
  uint64_t uint(size_t at, int bytes) const {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      const uint64_t b = p[at + static_cast<size_t>(i)];
      v |= big_endian ? b << (8 * (bytes - 1 - i)) : b << (8 * i);
    }
    return v;
  }
};

// The value "as PIL compares it with 2..8": 2..8 when the first value of the tag equals
// such an integer exactly, else 1. `v` points at count * unit bytes of `type`.
int first_value_as_orientation(const TiffReader& r, size_t v, uint16_t type) {
  double value = 0.0;
  switch (type) {
    case 3:  // SHORT
      value = static_cast<double>(r.uint(v, 2));
      break;
    case 4:  // LONG
      value = static_cast<double>(r.uint(v, 4));
      break;
    case 16:  // LONG8
      value = static_cast<double>(r.uint(v, 8));
      break;
    case 6:  // SBYTE
      value = static_cast<int8_t>(r.uint(v, 1));
      break;
    case 8:  // SSHORT
      value = static_cast<int16_t>(r.uint(v, 2));
      break;
    case 9:  // SLONG
      value = static_cast<int32_t>(r.uint(v, 4));
      break;
    case 5:     // RATIONAL
    case 10: {  // SRATIONAL
      const uint64_t num = r.uint(v, 4), den = r.uint(v + 4, 4);
      const double a = type == 5 ? static_cast<double>(num) : static_cast<int32_t>(num);
      const double b = type == 5 ? static_cast<double>(den) : static_cast<int32_t>(den);
      if (b == 0.0) return 1;  // PIL: NaN
      value = a / b;
      break;
    }
    case 11: {  // FLOAT
      const uint32_t bits = static_cast<uint32_t>(r.uint(v, 4));
      float f;
      std::memcpy(&f, &bits, sizeof f);
      value = f;
      break;
    }
    case 12: {  // DOUBLE
      const uint64_t bits = r.uint(v, 8);
      std::memcpy(&value, &bits, sizeof value);
      break;
    }
    default:  // BYTE, ASCII, UNDEFINED: PIL reads them as bytes or text, never 2..8
      return 1;
  }
  if (!(value >= 2.0 && value <= 8.0) || value != std::floor(value)) return 1;
  return static_cast<int>(value);
}

// Bytes per value of a TIFF type PIL reads; 0 for types PIL skips.
int unit_size(uint16_t type) {
  switch (type) {
    case 1:
    case 2:
    case 6:
    case 7: return 1;
    case 3:
    case 8: return 2;
    case 4:
    case 9:
    case 11: return 4;
    case 5:
    case 10:
    case 12:
    case 16: return 8;
    default: return 0;
  }
}

}  // namespace

int exif_orientation(const uint8_t* data, size_t size) {
  if (data == nullptr) return 1;
  if (size >= 6 && std::memcmp(data, "Exif\0\0", 6) == 0) {
    data += 6;
    size -= 6;
  }
  if (size < 8) return 1;
  // PIL's accepted classic-TIFF prefixes (BigTIFF is not used for EXIF).
  const bool mm = data[0] == 'M' && data[1] == 'M';
  const bool ii = data[0] == 'I' && data[1] == 'I';
  const bool magic = (data[2] == 0 && data[3] == 42) || (data[2] == 42 && data[3] == 0);
  if (!(mm || ii) || !magic) return 1;
  const TiffReader r{data, size, mm};
  const uint64_t ifd = r.uint(4, 4);
  if (!r.has(ifd, 2)) return 1;
  const uint64_t count = r.uint(static_cast<size_t>(ifd), 2);
  int orientation = 1;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t e = ifd + 2 + 12 * i;
    if (!r.has(e, 12)) break;  // PIL: a short read ends the walk
    const size_t at = static_cast<size_t>(e);
    const uint16_t tag = static_cast<uint16_t>(r.uint(at, 2));
    const uint16_t type = static_cast<uint16_t>(r.uint(at + 2, 2));
    const uint64_t n = r.uint(at + 4, 4);
    const int unit = unit_size(type);
    if (unit == 0) continue;  // a type PIL does not know: skipped
    const uint64_t bytes = n * static_cast<uint64_t>(unit);
    size_t value_at = at + 8;
    if (bytes > 4) {
      const uint64_t off = r.uint(at + 8, 4);
      if (!r.has(off, bytes)) break;  // PIL: a truncated value ends the walk
      value_at = static_cast<size_t>(off);
    }
    if (bytes == 0 || tag != kOrientationTag) continue;
    orientation = first_value_as_orientation(r, value_at, type);
  }
  return orientation;
}

std::vector<uint8_t> png_exif(const uint8_t* data, size_t size) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> exif;
  if (data == nullptr || size < 8 || std::memcmp(data, kSignature, 8) != 0) return exif;
  size_t at = 8;
  // Chunks: length (4, big-endian), type (4), data, CRC (4). PIL keeps the last eXIf.
  while (size - at >= 12) {
    const uint32_t len = (uint32_t{data[at]} << 24) | (uint32_t{data[at + 1]} << 16) |
                         (uint32_t{data[at + 2]} << 8) | data[at + 3];
    const uint8_t* type = data + at + 4;
    if (len > size - at - 12) break;
    if (std::memcmp(type, "eXIf", 4) == 0) exif.assign(data + at + 8, data + at + 8 + len);
    if (std::memcmp(type, "IEND", 4) == 0) break;
    at += 12 + static_cast<size_t>(len);
  }
  return exif;
}

}  // namespace camscope
