// Pictures in: recognise, check and decode a file into the pixels the core is given, under
// the rules the CLI follows too (wasm/cli/image_io.h; README.md, Conventions: Decoding):
// every pixel at the picture's own size, upright (EXIF orientation), transparency composited
// over black; the core's antialiased resize then makes the network's input. Every failure is
// a PictureError that names the fault for the person who dropped the file.
//
// No words here: the worker decodes a folder's pictures with this module, and it neither has
// the page's language nor should carry both dictionaries. A PictureError names its message
// (a key of text_en.js / text_zh.js' PICTURE) and its arguments; the page says it
// (text.js: pictureMessage).

import { turnPicture, webpOrientation } from "./exif.js";

export const MAX_SIDE = 1024; // long side of the picture as drawn (the core gets every pixel)
// Largest file, picture and side read: the CLI's limits (kMaxPicture* in wasm/cli/image_io.h).
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_PIXELS = 50e6;
export const MAX_DIMENSION = 16384;

// A picture that cannot be read: `key` names the message in the PICTURE dictionary, `args`
// (strings and numbers: they cross to the page from the worker) fill it in. The `message` is
// the same, unworded, for logs only.
export class PictureError extends Error {
  constructor(key, ...args) {
    super(`${key}: ${args.join(", ")}`);
    this.name = "PictureError";
    this.key = key;
    this.args = args;
  }
}

function u16be(b, i) {
  return (b[i] << 8) | b[i + 1];
}
function u32be(b, i) {
  return ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
}
function u16le(b, i) {
  return b[i] | (b[i + 1] << 8);
}
function u32le(b, i) {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 0x1000000;
}
function ascii(b, i, n) {
  return String.fromCharCode(...b.subarray(i, i + n));
}

// The format and size in a file's first bytes, without decoding: {format, width, height}
// (width/height 0 when the header does not say), or null for anything that is not a picture
// this page reads.
export function sniffPicture(b) {
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 3) === "PNG") {
    return { format: "PNG", width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // Walk the segments up to a start-of-frame marker.
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) {
        i++;
        continue;
      }
      const marker = b[i + 1];
      if (marker === 0xff || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
        i += 2;
        continue;
      }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: "JPEG", width: u16be(b, i + 7), height: u16be(b, i + 5) };
      }
      i += 2 + u16be(b, i + 2);
    }
    return { format: "JPEG", width: 0, height: 0 };
  }
  if (b.length >= 10 && ascii(b, 0, 3) === "GIF") {
    return { format: "GIF", width: u16le(b, 6), height: u16le(b, 8) };
  }
  if (b.length >= 30 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") {
    const chunk = ascii(b, 12, 4);
    if (chunk === "VP8X") return { format: "WebP", width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)) };
    if (chunk === "VP8L") {
      const v = u32le(b, 21);
      return { format: "WebP", width: 1 + (v & 0x3fff), height: 1 + ((v >>> 14) & 0x3fff) };
    }
    return { format: "WebP", width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (b.length >= 26 && ascii(b, 0, 2) === "BM") {
    return { format: "BMP", width: Math.abs(u32le(b, 18) | 0), height: Math.abs(u32le(b, 22) | 0) };
  }
  if (b.length >= 12 && ascii(b, 4, 4) === "ftyp" && /avif|avis|heic|heix|mif1/.test(ascii(b, 8, 4))) {
    return { format: ascii(b, 8, 4).startsWith("av") ? "AVIF" : "HEIC", width: 0, height: 0 };
  }
  return null;
}

// Whether the file's end is missing (a download cut short): JPEG without its end marker,
// PNG without its IEND chunk.
export function looksTruncated(format, tail) {
  if (format === "JPEG") {
    for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return false;
    return true;
  }
  if (format === "PNG") return !ascii(tail, 0, tail.length).includes("IEND");
  return false;
}

// Bits per pixel of a PNG colour type at a bit depth (0 for a combination PNG does not allow).
function pngBitsPerPixel(depth, colorType) {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType] || 0;
  const depths = colorType === 0 ? [1, 2, 4, 8, 16] : colorType === 3 ? [1, 2, 4, 8] : [8, 16];
  return depths.includes(depth) ? channels * depth : 0;
}

// The size of a PNG's inflated pixel data (a filter byte per row), per its header.
export function pngRawBytes(width, height, depth, colorType, interlaced) {
  const bits = pngBitsPerPixel(depth, colorType);
  const rows = (w, h) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (!bits) return 0;
  if (!interlaced) return rows(width, height);
  // Adam7: seven passes, each [first column, first row, column step, row step].
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) total += rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy));
  return total;
}

// What is wrong with a PNG's pixel data ("" when its IDAT chunks inflate to the whole picture).
// Checked by the page itself because Firefox (ESR 153) decodes a PNG whose compressed data is
// not zlib at all into a white picture instead of refusing it (Chromium refuses it).
export async function pngDataProblem(b) {
  if (b.length < 33) return "its header is cut short";
  const expected = pngRawBytes(u32be(b, 16), u32be(b, 20), b[24], b[25], b[28] === 1);
  if (!expected) return "its header is invalid";
  const parts = [];
  for (let i = 8; i + 12 <= b.length; ) {
    const len = u32be(b, i);
    const type = ascii(b, i + 4, 4);
    if (type === "IEND" || i + 12 + len > b.length) break;
    if (type === "IDAT") parts.push(b.subarray(i + 8, i + 8 + len));
    i += 12 + len;
  }
  if (parts.length === 0) return "it has no pixel data";
  // Read only as far as the picture needs: what follows (the checksum, stray bytes) is not
  // judged here, as browsers do not judge it either.
  const reader = new Blob(parts).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
  let got = 0;
  try {
    while (got < expected) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.length;
    }
  } catch {
    return "its compressed pixel data is invalid";
  } finally {
    reader.cancel().catch(() => {});
  }
  return got < expected ? "its pixel data is incomplete" : "";
}

export function isWeightsFile(head) {
  return head.length >= 8 && ascii(head, 0, 8) === "CAMSCOPE";
}

function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

// A 2D canvas of width x height: the page's own, or an OffscreenCanvas where there is no
// document (inside the worker, which decodes a folder's pictures by the same rule).
export function pixelCanvas(width, height) {
  if (typeof document !== "undefined") {
    const c = document.createElement("canvas");
    c.width = width;
    c.height = height;
    return c;
  }
  return new OffscreenCanvas(width, height);
}

// Decodes a Blob into {width, height, rgba, full, format}: `rgba` is every pixel of the
// upright picture composited over black (alpha 255), what the core is given, as the CLI
// decodes it; `full` is a canvas holding that picture at its own size (for the drawing copy or
// a thumbnail; set its width to 0 to free it). Works in the page and in a worker.
export async function decodePixels(blob, name) {
  if (blob.size === 0) throw new PictureError("empty", name);
  if (blob.size > MAX_FILE_BYTES)
    throw new PictureError("tooBig", name, mb(blob.size), mb(MAX_FILE_BYTES));
  const head = new Uint8Array(await blob.slice(0, 256 * 1024).arrayBuffer());
  const sniff = sniffPicture(head);
  if (!sniff) {
    throw new PictureError("notPicture", name, blob.type);
  }
  const { width: w, height: h, format } = sniff;
  if (w > MAX_DIMENSION || h > MAX_DIMENSION || w * h > MAX_PIXELS) {
    throw new PictureError("tooLarge", name, w, h, MAX_DIMENSION, MAX_PIXELS / 1e6);
  }
  const tail = new Uint8Array(await blob.slice(Math.max(0, blob.size - 1024)).arrayBuffer());
  if (looksTruncated(format, tail))
    throw new PictureError("truncated", name, format);

  if (format === "PNG") {
    const problem = await pngDataProblem(new Uint8Array(await blob.arrayBuffer()));
    if (problem) throw new PictureError("badPng", name, problem); // problem: a key of PICTURE.problems
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch (err) {
    throw new PictureError("damaged", name, format);
  }
  if (bitmap.width < 1 || bitmap.height < 1) throw new PictureError("noPixels", name);
  if (bitmap.width * bitmap.height > MAX_PIXELS) {
    bitmap.close();
    throw new PictureError("tooLargeShort", name, bitmap.width, bitmap.height);
  }
  let width = bitmap.width;
  let height = bitmap.height;
  // Over black: the canvas composites exactly round(c * a / 255), the CLI's rule (checked
  // pixel for pixel against the CLI by tests/browser/pictures.test.mjs).
  const full = pixelCanvas(width, height);
  const fullCtx = full.getContext("2d", { willReadFrequently: true });
  fullCtx.fillStyle = "#000";
  fullCtx.fillRect(0, 0, width, height);
  fullCtx.drawImage(bitmap, 0, 0);
  bitmap.close();
  let rgba = fullCtx.getImageData(0, 0, width, height).data;
  // Chromium has turned a JPEG or PNG by its EXIF orientation, but not a WebP.
  const orientation = format === "WebP" ? webpOrientation(new Uint8Array(await blob.arrayBuffer())) : 1;
  if (orientation !== 1) {
    ({ rgba, width, height } = turnPicture(rgba, width, height, orientation));
    full.width = width;
    full.height = height;
    fullCtx.putImageData(new ImageData(rgba, width, height), 0, 0);
  }
  return { width, height, rgba, full, format };
}

// A copy of `source` (a canvas) at most `side` px on its long side, smoothed ("high").
export function shrunkCanvas(source, side) {
  const scale = Math.min(1, side / Math.max(source.width, source.height));
  const canvas = pixelCanvas(Math.max(1, Math.round(source.width * scale)), Math.max(1, Math.round(source.height * scale)));
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas;
}

// A canvas' picture as a Blob (an OffscreenCanvas or a page canvas).
export function canvasBlob(canvas, type = "image/png", quality = undefined) {
  if (canvas.convertToBlob) return canvas.convertToBlob({ type, quality });
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

// Decodes a Blob into {width, height, rgba, canvas, format}: decodePixels' pixels, and
// `canvas`, the picture for drawing, at most MAX_SIDE on the long side.
export async function decodePicture(blob, name) {
  const { width, height, rgba, full, format } = await decodePixels(blob, name);
  let canvas = full;
  if (Math.max(width, height) > MAX_SIDE) {
    canvas = shrunkCanvas(full, MAX_SIDE);
    full.width = full.height = 0; // free the full-size copy now
  }
  return { width, height, rgba, canvas, format, originalWidth: width, originalHeight: height };
}
