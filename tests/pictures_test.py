#!/usr/bin/python3
"""The CLI decodes pictures to exactly PIL's pixels, under the stated rules.

    pictures_test.py CLI            make the pictures, compare `CLI decode` with PIL, and feed
                                    the CLI damaged / oversized files
    pictures_test.py --make DIR     only make the pictures; print their list as JSON (the
                                    browser test, tests/browser/pictures.test.mjs, uses it)
    pictures_test.py --seeds DIR    tiny versions of them: seeds for the decoder fuzz target
                                    (tests/fuzz/fuzz_pictures.cpp, run by tools/test.sh)

PIL's reference is ImageOps.exif_transpose(Image.open(f)) then convert("RGB"); for pictures
with transparency, convert("RGBA") composited over black as round(c * a / 255) — the rule
stated in README.md (Conventions: Preprocessing). The pictures are made here from the
committed sample photo (web/samples/cat.jpg) and synthetic content: baseline JPEG (three
chroma subsamplings, greyscale), progressive, CMYK with a real black channel, all eight EXIF
orientations, WebP (lossy, lossless, with alpha, EXIF-rotated), PNG with alpha, palette PNG
with a transparent colour, EXIF-rotated PNG, BMP, GIF and a 4000x3000 photo.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHOTO = os.path.join(ROOT, "web", "samples", "cat.jpg")


def exif_bytes(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def with_alpha(rgb):
    """The photo with an alpha ramp across it (0..255), a fully transparent band and holes."""
    a = np.asarray(rgb.convert("RGBA")).copy()
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    a[..., 3] = (xx * 255 // (w - 1)).astype(np.uint8)
    a[: h // 10, :, 3] = 0
    a[(yy // 16 + xx // 16) % 5 == 0, 3] = 255
    return Image.fromarray(a, "RGBA")


def cmyk_of(rgb):
    """CMYK with a real black channel (K = 255 - max(R, G, B), the rest under-colour removed):
    PIL's own RGB->CMYK leaves K at 0, which would not exercise the CMYK->RGB formula."""
    src = np.asarray(rgb).astype(np.int64)
    mx = src.max(-1)
    den = np.maximum(mx, 1)[..., None]
    cmy = ((mx[..., None] - src) * 255 + den // 2) // den
    cmyk = np.concatenate([cmy, (255 - mx)[..., None]], -1).clip(0, 255).astype(np.uint8)
    return Image.fromarray(cmyk, "CMYK")


def big_photo(rgb):
    """A 4000x3000 'photo': the sample upscaled, with fine deterministic grain."""
    big = np.asarray(rgb.resize((4000, 3000), Image.BICUBIC)).astype(np.int16)
    grain = np.random.default_rng(12).integers(-12, 13, size=big.shape, dtype=np.int16)
    return Image.fromarray((big + grain).clip(0, 255).astype(np.uint8), "RGB")


def make_pictures(out, tiny=False):
    """Writes the test pictures into `out`; returns [{file, kind}] (kind: what it tests).
    tiny: 20x15 pictures and no large one (fuzzing seeds)."""
    photo = Image.open(PHOTO).convert("RGB")  # 500x399: not square, so turns show
    if tiny:
        photo = photo.resize((20, 15), Image.BILINEAR)
    made = []

    def save(name, img, kind, **options):
        img.save(os.path.join(out, name), **options)
        made.append({"file": name, "kind": kind})

    save("baseline_420.jpg", photo, "jpeg", quality=90)
    save("baseline_422.jpg", photo, "jpeg", quality=80, subsampling=1)
    save("baseline_444.jpg", photo, "jpeg", quality=95, subsampling=0)
    save("grey.jpg", photo.convert("L"), "jpeg", quality=90)
    save("progressive.jpg", photo, "jpeg", quality=85, progressive=True)
    save("cmyk.jpg", cmyk_of(photo), "cmyk", quality=90)
    for o in range(1, 9):
        save(f"exif_{o}.jpg", photo, "exif", quality=90, exif=exif_bytes(o))
    save("lossy.webp", photo, "webp", quality=80)
    save("lossless.webp", photo, "webp", lossless=True)
    save("alpha_lossy.webp", with_alpha(photo), "alpha", quality=80)
    save("alpha_lossless.webp", with_alpha(photo), "alpha", lossless=True)
    save("exif_6.webp", photo, "webp_exif", quality=80, exif=exif_bytes(6))
    save("alpha.png", with_alpha(photo), "alpha")
    pal = photo.convert("P", palette=Image.ADAPTIVE, colors=64)
    pal.info["transparency"] = 3
    save("palette_transparent.png", pal, "alpha", transparency=3)
    save("exif_8.png", photo, "png_exif", exif=exif_bytes(8))
    save("plain.bmp", photo, "stb")
    save("palette.gif", photo.convert("P", palette=Image.ADAPTIVE, colors=200), "stb")
    if not tiny:
        save("photo_4000x3000.jpg", big_photo(photo), "large", quality=90)
    return made


def pil_reference(path):
    """PIL's pixels for the network: upright, RGB, transparency over black."""
    img = ImageOps.exif_transpose(Image.open(path))
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = np.asarray(img.convert("RGBA")).astype(np.int64)
        return ((rgba[..., :3] * rgba[..., 3:] + 127) // 255).astype(np.uint8)
    return np.asarray(img.convert("RGB"))


def cli_decode(cli, path, npy):
    r = subprocess.run([cli, "decode", path, npy], capture_output=True, text=True, timeout=120)
    return r, (np.load(npy) if r.returncode == 0 else None)


def check_pixels(cli, work, made):
    """Every picture: the CLI's pixels equal PIL's exactly. Returns the failures."""
    failures = []
    refs = {}
    for m in made:
        path = os.path.join(work, m["file"])
        ref = pil_reference(path)
        refs[m["file"]] = ref
        r, got = cli_decode(cli, path, path + ".npy")
        if got is None:
            failures.append(f"{m['file']}: the CLI failed: {r.stderr.strip()}")
            continue
        if got.shape != ref.shape:
            failures.append(f"{m['file']}: CLI shape {got.shape}, PIL {ref.shape}")
            continue
        bad = int(np.count_nonzero(got != ref))
        print(f"{m['file']:28s} {m['kind']:10s} {got.shape[1]}x{got.shape[0]}: "
              f"{bad} of {got.size} values differ from PIL")
        if bad:
            failures.append(f"{m['file']}: {bad} values differ from PIL's")
    # The references must be able to tell the rules apart, or the comparison proves nothing.
    turned = [refs[f"exif_{o}.jpg"] for o in range(1, 9)]
    for i in range(8):
        for j in range(i):
            if turned[i].shape == turned[j].shape and np.array_equal(turned[i], turned[j]):
                failures.append(f"orientations {j + 1} and {i + 1} give the same picture")
    plain = np.asarray(Image.open(os.path.join(work, "alpha.png")).convert("RGB"))
    if np.array_equal(plain, refs["alpha.png"]):
        failures.append("the alpha rule changes nothing on alpha.png")
    cmyk = np.asarray(Image.open(os.path.join(work, "cmyk.jpg"))).astype(np.int64)
    floor_rgb = (cmyk[..., :3] * cmyk[..., 3:] // 255).astype(np.uint8)  # another CMYK rule
    if np.array_equal(floor_rgb, refs["cmyk.jpg"]):
        failures.append("cmyk.jpg does not tell PIL's CMYK formula from c * k // 255")
    return failures


def jpeg_with_size(data, width, height):
    """The JPEG with its frame header claiming another size."""
    b = bytearray(data)
    i = 2
    while i + 9 < len(b):
        marker, length = b[i + 1], int.from_bytes(b[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            b[i + 5:i + 7] = height.to_bytes(2, "big")
            b[i + 7:i + 9] = width.to_bytes(2, "big")
            return bytes(b)
        i += 2 + length
    raise ValueError("no frame header")


def png_with_size(data, width, height):
    b = bytearray(data)
    b[16:20] = width.to_bytes(4, "big")
    b[20:24] = height.to_bytes(4, "big")
    return bytes(b)  # the CRC is now wrong too: stb_image does not check it


def check_hostile(cli, work):
    """Damaged and oversized files: a one-line message, exit status 1, no crash."""
    read = lambda name: open(os.path.join(work, name), "rb").read()
    jpg, prog, webp, png = read("baseline_420.jpg"), read("progressive.jpg"), read("lossy.webp"), read("alpha.png")
    scan = jpg.index(b"\xff\xda") + 40
    cases = [
        ("half.jpg", jpg[: len(jpg) // 2], "truncated"),
        ("cut_progressive.jpg", prog[: len(prog) * 9 // 10], "truncated"),
        ("only_header.jpg", jpg[:scan], "truncated"),
        ("wide.jpg", jpeg_with_size(jpg, 20000, 10), "16384 pixels a side"),
        ("huge.jpg", jpeg_with_size(jpg, 9000, 9000), "50-megapixel limit"),
        ("zero.jpg", jpeg_with_size(jpg, 0, 399), "JPEG"),
        ("half.webp", webp[: len(webp) // 2], "WebP"),
        ("header.webp", webp[:30], "WebP"),
        ("huge.png", png_with_size(png, 40000, 40000), "16384 pixels a side"),
        ("half.png", png[: len(png) // 2], "cannot decode PNG: the file is damaged or truncated"),
        ("empty.jpg", b"", "empty"),
        ("text.png", b"these are not pixels\n", "not a picture camscope reads"),
        ("picture.tga", b"\0\0\2" + bytes(15) + bytes(48), "not a picture camscope reads"),
        ("noise.jpg", b"\xff\xd8\xff" + bytes(np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8)), "JPEG"),
    ]
    failures = []
    for name, data, expected in cases:
        path = os.path.join(work, name)
        with open(path, "wb") as f:
            f.write(data)
        r, _ = cli_decode(cli, path, path + ".npy")
        msg = r.stderr.strip()
        print(f"{name:28s} exit {r.returncode}: {msg}")
        if r.returncode != 1 or expected not in msg or len(msg.splitlines()) != 1:
            failures.append(f"{name}: exit {r.returncode}, message {msg!r} (expected one line with {expected!r})")
    big = os.path.join(work, "big_file.jpg")
    with open(big, "wb") as f:
        f.write(jpg)
        f.truncate(65 << 20)
    r, _ = cli_decode(cli, big, big + ".npy")
    print(f"{'big_file.jpg (65 MB)':28s} exit {r.returncode}: {r.stderr.strip()}")
    if r.returncode != 1 or "64 MB" not in r.stderr:
        failures.append(f"65 MB file: exit {r.returncode}, {r.stderr.strip()!r}")
    # Corrupt entropy-coded data decodes as PIL decodes it (libjpeg's recovery), not a crash.
    bad = bytearray(jpg)
    for k in range(scan + 200, len(bad) - 400, 997):
        bad[k] ^= 0x5A
    path = os.path.join(work, "corrupt.jpg")
    open(path, "wb").write(bytes(bad))
    r, got = cli_decode(cli, path, path + ".npy")
    ref = pil_reference(path)
    same = got is not None and got.shape == ref.shape and np.array_equal(got, ref)
    print(f"{'corrupt.jpg':28s} exit {r.returncode}: {'equal to PIL' if same else r.stderr.strip()}")
    if not same:
        failures.append("corrupt.jpg: not decoded as PIL decodes it")
    return failures


def main():
    if len(sys.argv) == 3 and sys.argv[1] in ("--make", "--seeds"):
        print(json.dumps(make_pictures(sys.argv[2], tiny=sys.argv[1] == "--seeds")))
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    cli = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="camscope-pictures-") as work:
        made = make_pictures(work)
        failures = check_pixels(cli, work, made) + check_hostile(cli, work)
    for f in failures:
        print("FAIL:", f)
    print(f"{len(made)} pictures equal to PIL's" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
