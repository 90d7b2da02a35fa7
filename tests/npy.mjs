// Shared by the Node-side tests: .npy reading and the relative error used everywhere.
import { readFileSync } from "node:fs";

// Parses a little-endian .npy file of '<f4' (Float32Array) or '|u1' (Uint8Array) values.
export function readNpy(path) {
  const b = readFileSync(path);
  const hlen = b.readUInt16LE(8);
  const header = b.toString("latin1", 10, 10 + hlen);
  const f4 = header.includes("'<f4'");
  if (!f4 && !header.includes("'|u1'")) throw new Error(`${path}: not float32 or uint8`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(",").filter((s) => s.trim()).map(Number);
  const body = b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + b.length);
  return { shape, data: f4 ? new Float32Array(body) : new Uint8Array(body) };
}

// max |a - b| / max |b| (b all zero: max |a - b|).
export function relError(a, b) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale > 0 ? diff / scale : diff;
}
