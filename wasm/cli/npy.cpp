// .npy reading and writing (format version 1.0 / 2.0 headers).
#include "npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace camscope {

namespace {

// Writes a C-order array of `descr` ('<f4', '|u1') with `item` bytes per value.
bool write_npy_raw(const std::string& path, const char* descr, size_t item, const void* data,
                   const std::vector<int>& shape) {
  std::string dims;
  size_t count = 1;
  for (int d : shape) {
    dims += std::to_string(d) + ",";
    count *= static_cast<size_t>(d);
  }
  if (shape.size() > 1) dims.pop_back();
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream f(path, std::ios::binary);
  if (!f) return false;
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  f.write(magic, 8);
  const char lenb[2] = {static_cast<char>(len & 0xFF), static_cast<char>(len >> 8)};
  f.write(lenb, 2);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(count * item));
  return static_cast<bool>(f);
}

}  // namespace

bool write_npy(const std::string& path, const float* data, const std::vector<int>& shape) {
  return write_npy_raw(path, "<f4", sizeof(float), data, shape);
}

bool write_npy_u8(const std::string& path, const uint8_t* data, const std::vector<int>& shape) {
  return write_npy_raw(path, "|u1", 1, data, shape);
}

bool read_npy(const std::string& path, NpyArray& out, std::string& error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot open " + path;
    return false;
  }
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    error = path + ": not a .npy file";
    return false;
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t hlen, hstart;
  if (major == 1) {
    hlen = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    hstart = 10;
  } else {
    hlen = 0;
    for (int i = 0; i < 4; ++i)
      hlen |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    hstart = 12;
  }
  if (hstart + hlen > bytes.size()) {
    error = path + ": truncated header";
    return false;
  }
  const std::string header = bytes.substr(hstart, hlen);
  const bool f4 = header.find("'<f4'") != std::string::npos;
  const bool u1 = header.find("'|u1'") != std::string::npos;
  if ((!f4 && !u1) || header.find("'fortran_order': False") == std::string::npos) {
    error = path + ": only C-order <f4 and |u1 arrays are supported";
    return false;
  }
  const size_t lp = header.find('(', header.find("'shape'"));
  const size_t rp = header.find(')', lp);
  if (lp == std::string::npos || rp == std::string::npos) {
    error = path + ": no shape";
    return false;
  }
  out.shape.clear();
  size_t count = 1;
  const std::string dims = header.substr(lp + 1, rp - lp - 1);
  size_t pos = 0;
  while (pos < dims.size()) {
    while (pos < dims.size() && (dims[pos] == ' ' || dims[pos] == ',')) ++pos;
    if (pos >= dims.size()) break;
    const int d = std::stoi(dims.substr(pos));
    out.shape.push_back(d);
    count *= static_cast<size_t>(d);
    while (pos < dims.size() && dims[pos] != ',') ++pos;
  }
  const size_t elem = f4 ? 4 : 1;
  const size_t data_start = hstart + hlen;
  if (bytes.size() - data_start != count * elem) {
    error = path + ": data size does not match the shape";
    return false;
  }
  out.data.resize(count);
  const char* p = bytes.data() + data_start;
  if (f4) {
    std::memcpy(out.data.data(), p, count * 4);
  } else {
    for (size_t i = 0; i < count; ++i) out.data[i] = static_cast<unsigned char>(p[i]);
  }
  return true;
}

}  // namespace camscope
