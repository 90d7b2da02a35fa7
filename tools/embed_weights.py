#!/usr/bin/env python3
"""Wraps a .csw weights file into a classic script so the page works from file://, where a
page may not fetch files next to it.

  python3 tools/embed_weights.py weights/camscope_catsdogs_int8.csw web/weights.js

The script sets self.camscopeEmbeddedWeights = {name, size, encoding: "gzip", base64}: the
file gzip-compressed, then base64 (gzip of the page's files: 3.47 MB instead of 3.68 MB for
plain base64, whose 6-bit characters deflate poorly). The page hands the string to its worker,
which decodes it natively (protocol.js unpackEmbedded: base64, DecompressionStream).
With Debian's zopfli (tools/setup.sh installs it) the gzip stream is zopfli's: the same
format, 14 KB smaller for the shipped file (3,427,577 instead of 3,441,935 bytes; 8 s).

Before compressing, each int8 tensor's rows (output channels) are put in order of their spread
(standard deviation of the int8 values): deflate gives each block its own Huffman code, and
neighbouring rows of like spread share one well. `rows` lists, per tensor, [offset of its
first row in the file, bytes per row, width, order as base64 of width-byte little-endian
integers] (packed_order) where stored row k is the file's row order[k];
the page puts them back before anything reads the file (protocol.js unpackEmbedded), and the
loader's CRC-32 then checks the result. Shipped file: zopfli's stream 3,427,577 -> 3,407,336
bytes, the order ~2 KB of it back.
"""

import base64
import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np


def compress(data):
    """gzip bytes by tools/smallest_gzip.sh (zopfli's where installed, else gzip -9), checked
    to decompress to `data`."""
    # Five zopfli iterations: more saved ~100 bytes for 3x the time.
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "smallest_gzip.sh")
    out = subprocess.run([script, "5"], input=data, capture_output=True)
    if out.returncode != 0 or gzip.decompress(out.stdout) != data:
        sys.exit("embed_weights: tools/smallest_gzip.sh failed: " + out.stderr.decode(errors="replace"))
    if out.stderr:
        print("embed_weights: " + out.stderr.decode(errors="replace").strip(), file=sys.stderr)
    return out.stdout


def row_orders(data):
    """[file offset, row bytes, order] for each int8 tensor of a .csw, and the data with each
    tensor's rows in order of their spread. Reads only the header and `tensor` lines: the
    file is the loader's to validate; a line this cannot follow leaves its tensor as it is."""
    desc_len = struct.unpack("<I", data[12:16])[0]
    start = 32 + desc_len + (-(32 + desc_len) % 16)
    out = bytearray(data)
    segments = []
    for line in data[32:32 + desc_len].decode("utf-8", "replace").splitlines():
        tok = line.split()
        if len(tok) < 6 or tok[0] != "tensor" or tok[2] != "i8":
            continue
        try:
            off, ndim = int(tok[3]), int(tok[4])
            dims = [int(t) for t in tok[5:5 + ndim]]
        except ValueError:
            continue
        if len(dims) != ndim or ndim < 1 or min(dims) < 1:
            continue
        rows = dims[0]
        per_row = int(np.prod(dims[1:], dtype=np.int64)) if ndim > 1 else 1
        at = start + off
        if rows < 2 or at + rows * per_row > len(data):
            continue
        q = np.frombuffer(data, dtype=np.int8, count=rows * per_row, offset=at).reshape(rows, per_row)
        order = np.argsort(q.astype(np.float64).std(axis=1), kind="stable")
        out[at:at + rows * per_row] = q[order].tobytes()
        segments.append([at, per_row, order.tolist()])
    if restore(bytes(out), segments) != data:  # e.g. two tensor lines over the same bytes
        return data, []
    return bytes(out), segments


def restore(data, segments):
    """Puts reordered rows back (what protocol.js unpackEmbedded does on the page)."""
    out = bytearray(data)
    for at, per_row, order in segments:
        for k, row in enumerate(order):
            out[at + row * per_row:at + (row + 1) * per_row] = data[at + k * per_row:at + (k + 1) * per_row]
    return bytes(out)


def packed_order(segment):
    """[offset, row bytes, width, base64]: the order as 1-byte (up to 256 rows) or 2-byte
    little-endian integers, read by protocol.js rowOrder (1,758 instead of 2,097 bytes of gzip
    as decimals for the shipped file)."""
    at, per_row, order = segment
    if len(order) > 65536:
        return segment  # the order as numbers (rowOrder reads both)
    width = 1 if len(order) <= 256 else 2
    data = np.asarray(order, dtype="<u1" if width == 1 else "<u2").tobytes()
    return [at, per_row, width, base64.b64encode(data).decode("ascii")]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: embed_weights.py WEIGHTS.csw OUT.js")
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        data = f.read()
    if data[:8] != b"CAMSCOPE":
        sys.exit("embed_weights: %s is not a camscope weights file (no CAMSCOPE magic)" % src)
    name = os.path.basename(src)
    reordered, segments = row_orders(data)
    b64 = base64.b64encode(compress(reordered)).decode("ascii")
    rows = json.dumps([packed_order(seg) for seg in segments], separators=(",", ":"))
    with open(dst, "w") as f:
        f.write("// Generated by tools/embed_weights.py from %s; do not edit.\n" % name)
        f.write("self.camscopeEmbeddedWeights = {\"name\": %s, \"size\": %d, \"encoding\": \"gzip\", "
                "\"rows\": %s, \"base64\": \"%s\"};\n" % (json.dumps(name), len(data), rows, b64))
    print("embed_weights: %s (%d bytes) -> %s" % (src, len(data), dst))


if __name__ == "__main__":
    main()
