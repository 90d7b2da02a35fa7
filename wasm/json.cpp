// JSON string literals for the hand-written JSON of the CLI and the bindings.
#include "json.h"

#include <cstdint>
#include <cstdio>

namespace camscope {

void json_string(std::string& out, const std::string& s) {
  out += '"';
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // A multi-byte UTF-8 sequence: copy it if well formed, else one replacement character.
      int len = 0;
      uint32_t cp = 0;
      if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
      }
      bool ok = len > 0 && i + len <= n;
      for (int k = 1; ok && k < len; ++k) {
        const unsigned char cc = static_cast<unsigned char>(s[i + k]);
        ok = (cc & 0xC0) == 0x80;
        cp = cp << 6 | (cc & 0x3F);
      }
      static const uint32_t kMinForLen[5] = {0, 0, 0x80, 0x800, 0x10000};
      ok = ok && cp >= kMinForLen[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
      if (ok) {
        out.append(s, i, static_cast<size_t>(len));
        i += static_cast<size_t>(len);
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
      continue;
    }
    ++i;
  }
  out += '"';
}

std::string json_string(const std::string& s) {
  std::string out;
  json_string(out, s);
  return out;
}

}  // namespace camscope
