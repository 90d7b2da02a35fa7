#!/usr/bin/env python3
"""Writes a PNG's pixels as lossless WebP to stdout, for the page's built-in samples
(tools/bundle_web.mjs): web/samples/both.png is 90,226 bytes, the same pixels as WebP 68,294.

  /usr/bin/python3 tools/lossless_webp.py web/samples/both.png > both.webp

Exits 1, writing nothing, unless the WebP decodes to exactly the PNG's pixels (same size,
mode and values) and is smaller; the bundle then keeps the PNG.
"""

import io
import sys

from PIL import Image


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: lossless_webp.py PICTURE.png")
    src = Image.open(sys.argv[1])
    src.load()
    if src.mode not in ("RGB", "RGBA"):
        sys.exit("lossless_webp: %s is %s, not RGB or RGBA" % (sys.argv[1], src.mode))
    out = io.BytesIO()
    # method 6: libwebp's slowest, smallest lossless search; deterministic
    src.save(out, "WEBP", lossless=True, quality=100, method=6, exact=True)
    data = out.getvalue()
    back = Image.open(io.BytesIO(data))
    back.load()
    if back.mode != src.mode or back.size != src.size or back.tobytes() != src.tobytes():
        sys.exit("lossless_webp: the WebP of %s does not decode to its pixels" % sys.argv[1])
    with open(sys.argv[1], "rb") as f:
        if len(data) >= len(f.read()):
            sys.exit("lossless_webp: the WebP of %s is not smaller" % sys.argv[1])
    sys.stdout.buffer.write(data)


if __name__ == "__main__":
    main()
