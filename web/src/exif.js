// EXIF orientation for the pictures Chromium leaves as stored: it turns JPEG and PNG by their
// EXIF orientation itself, but not WebP, which PIL (ImageOps.exif_transpose) and the CLI do
// turn. The reading rule is the CLI's (wasm/cli/exif.cpp, itself PIL's getexif()): the last
// IFD0 entry 0x0112 of a type PIL knows wins, its first value counts if equal to 2..8, a
// value that lies outside the block ends the walk.

const ORIENTATION_TAG = 0x0112;
// Bytes per value of the TIFF types PIL reads (others are skipped).
const UNIT = { 1: 1, 2: 1, 6: 1, 7: 1, 3: 2, 8: 2, 4: 4, 9: 4, 11: 4, 5: 8, 10: 8, 12: 8, 16: 8 };

// 2..8 when the first value of an entry of `type` at `at` equals such an integer, else 1.
function asOrientation(dv, at, type, le) {
  let v;
  if (type === 3) v = dv.getUint16(at, le);
  else if (type === 4) v = dv.getUint32(at, le);
  else if (type === 16) v = Number(dv.getBigUint64(at, le));
  else if (type === 6) v = dv.getInt8(at);
  else if (type === 8) v = dv.getInt16(at, le);
  else if (type === 9) v = dv.getInt32(at, le);
  else if (type === 5 || type === 10) {
    const signed = type === 10;
    const num = signed ? dv.getInt32(at, le) : dv.getUint32(at, le);
    const den = signed ? dv.getInt32(at + 4, le) : dv.getUint32(at + 4, le);
    if (den === 0) return 1;
    v = num / den;
  } else if (type === 11) v = dv.getFloat32(at, le);
  else if (type === 12) v = dv.getFloat64(at, le);
  else return 1; // BYTE, ASCII, UNDEFINED: bytes or text to PIL, never 2..8
  return v >= 2 && v <= 8 && Number.isInteger(v) ? v : 1;
}

// The orientation (1..8) in an EXIF block: a TIFF header, optionally after "Exif\0\0".
export function exifOrientation(b) {
  if (b.length >= 6 && b[0] === 0x45 && b[1] === 0x78 && b[2] === 0x69 && b[3] === 0x66 && b[4] === 0 && b[5] === 0) b = b.subarray(6);
  if (b.length < 8) return 1;
  const mm = b[0] === 0x4d && b[1] === 0x4d;
  const ii = b[0] === 0x49 && b[1] === 0x49;
  const magic = (b[2] === 0 && b[3] === 42) || (b[2] === 42 && b[3] === 0);
  if (!(mm || ii) || !magic) return 1;
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const has = (at, len) => at <= b.length && len <= b.length - at;
  const ifd = dv.getUint32(4, ii);
  if (!has(ifd, 2)) return 1;
  const count = dv.getUint16(ifd, ii);
  let orientation = 1;
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + 12 * i;
    if (!has(e, 12)) break;
    const tag = dv.getUint16(e, ii);
    const type = dv.getUint16(e + 2, ii);
    const unit = UNIT[type] || 0;
    if (!unit) continue;
    const bytes = dv.getUint32(e + 4, ii) * unit;
    let at = e + 8;
    if (bytes > 4) {
      at = dv.getUint32(e + 8, ii);
      if (!has(at, bytes)) break;
    }
    if (bytes === 0 || tag !== ORIENTATION_TAG) continue;
    orientation = asOrientation(dv, at, type, ii);
  }
  return orientation;
}

// The orientation in a WebP file's first EXIF chunk (RIFF chunks: fourcc, size, data padded
// to an even length), 1 if none.
export function webpOrientation(b) {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  for (let at = 12; at + 8 <= b.length; ) {
    const size = dv.getUint32(at + 4, true);
    if (size > b.length - at - 8) break;
    if (b[at] === 0x45 && b[at + 1] === 0x58 && b[at + 2] === 0x49 && b[at + 3] === 0x46) return exifOrientation(b.subarray(at + 8, at + 8 + size));
    at += 8 + size + (size & 1);
  }
  return 1;
}

// The picture turned upright as PIL's exif_transpose turns orientation 2..8 (the CLI's
// apply_orientation): output pixel (x, y) is stored pixel (x0 + x*dxx + y*dyx, y0 + x*dxy + y*dyy).
export function turnPicture(rgba, width, height, orientation) {
  if (!(orientation >= 2 && orientation <= 8)) return { rgba, width, height };
  const w = width;
  const h = height;
  const [x0, y0, dxx, dxy, dyx, dyy] = {
    2: [w - 1, 0, -1, 0, 0, 1],
    3: [w - 1, h - 1, -1, 0, 0, -1],
    4: [0, h - 1, 1, 0, 0, -1],
    5: [0, 0, 0, 1, 1, 0],
    6: [0, h - 1, 0, -1, 1, 0],
    7: [w - 1, h - 1, 0, -1, -1, 0],
    8: [w - 1, 0, 0, 1, -1, 0],
  }[orientation];
  const [ow, oh] = orientation >= 5 ? [h, w] : [w, h];
  const src = new Uint32Array(rgba.buffer, rgba.byteOffset, w * h);
  const out = new Uint8ClampedArray(ow * oh * 4);
  const dst = new Uint32Array(out.buffer);
  let i = 0;
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++) dst[i++] = src[(y0 + x * dxy + y * dyy) * w + (x0 + x * dxx + y * dyx)];
  return { rgba: out, width: ow, height: oh };
}
