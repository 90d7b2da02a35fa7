// Hashes of the weights file for the exports: CRC-32 (always: plain JS, the zlib/PNG
// polynomial, as `python3 -c "import zlib; print(zlib.crc32(open(f,'rb').read()))"` gives it)
// and SHA-256 where the browser offers crypto.subtle (secure contexts: https, localhost and,
// in Chromium and Firefox, file://; not a page served over plain http from another machine).

let table = null;

// CRC-32 of bytes, as an unsigned number.
export function crc32(bytes) {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// SHA-256 of bytes as lowercase hex, or null where crypto.subtle is missing or refuses.
export async function sha256Hex(bytes) {
  try {
    if (!(self.crypto && self.crypto.subtle)) return null;
    const digest = new Uint8Array(await self.crypto.subtle.digest("SHA-256", bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  } catch (e) {
    return null;
  }
}

// {bytes: length, crc32: "8 hex digits", sha256: hex or null} of a weights file. The bytes
// are read before this returns (crypto.subtle.digest copies them), so the caller may hand
// their buffer to the worker right after (a VGG16 file is 135 MB: it is not kept twice).
export function weightsHashes(bytes) {
  if (!bytes) return Promise.resolve({ bytes: 0, crc32: null, sha256: null });
  const length = bytes.length;
  const crc = crc32(bytes).toString(16).padStart(8, "0");
  return sha256Hex(bytes).then((sha256) => ({ bytes: length, crc32: crc, sha256 }));
}
