// Reading and validating `.csw` weights files (format: weights/README.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "graph.h"

namespace camscope {

// Parses a whole weights file held in memory. On success fills `net` and returns true; on
// any problem returns false and sets `error` to one line saying what is wrong and where.
// Never reads outside [data, data + size). `max_bytes` (0: no limit): refuse, before any
// weight is read, a model whose estimated memory (the file, the weights as held, packed conv
// weights, two pictures' activations) exceeds it.
bool load_weights(const uint8_t* data, size_t size, Net& net, std::string& error,
                  size_t max_bytes = 0);

// Reads a file from disk and calls load_weights (native builds).
bool load_weights_file(const std::string& path, Net& net, std::string& error);

// CRC-32 with zlib's polynomial, as stored in the header.
uint32_t crc32(const uint8_t* data, size_t size);

// IEEE half -> float.
float half_to_float(uint16_t h);

}  // namespace camscope
