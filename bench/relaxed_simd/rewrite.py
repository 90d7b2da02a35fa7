#!/usr/bin/env python3
"""Rewrites clang 14's pre-standard f32x4.fma (0xfd 0xaf 0x01) to the standard
f32x4.relaxed_madd (0xfd 0x85 0x02), inside the code section only, and says how many.
  rewrite.py IN.wasm OUT.wasm EXPECTED_COUNT
(A measurement aid: a byte pattern match, checked against the count of fma calls the
source has; a shipped tool would decode every instruction.)"""
import sys

src, dst, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = bytearray(open(src, "rb").read())
assert d[:8] == b"\0asm\1\0\0\0", "not a wasm module"


def leb(pos):
    v = shift = 0
    while True:
        b = d[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, pos


pos, count = 8, 0
while pos < len(d):
    sid = d[pos]
    size, body = leb(pos + 1)
    if sid == 10:  # code section
        seg = bytes(d[body:body + size])
        count = seg.count(b"\xfd\xaf\x01")
        d[body:body + size] = seg.replace(b"\xfd\xaf\x01", b"\xfd\x85\x02")
    pos = body + size
if count != expected:
    sys.exit(f"rewrite.py: {count} pre-standard fma in the code section, expected {expected}")
open(dst, "wb").write(d)
print(f"rewrite.py: {count} f32x4.fma -> f32x4.relaxed_madd")
