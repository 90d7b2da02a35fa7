#!/usr/bin/env bash
# The page's gzip streams (the core's wasm in tools/bundle_web.mjs, the weights in
# tools/embed_weights.py): FILE's bytes gzip-compressed on stdout, by Debian's zopfli where it
# is installed (tools/setup.sh; the same format, ~5% smaller than zlib's level 9) and its
# stream decompresses to FILE, else by gzip -9 -n (a note on stderr says so).
#   tools/smallest_gzip.sh FILE [ZOPFLI_ITERATIONS=15]
set -euo pipefail
file="$1"
iterations="${2:-15}"
[ -f "$file" ] || { echo "smallest_gzip: no file $file" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if command -v zopfli >/dev/null && zopfli "--i$iterations" -c "$file" >"$out" 2>/dev/null &&
    [ -s "$out" ] && gzip -dc "$out" | cmp -s - "$file"; then
  cat "$out"
  exit 0
fi
echo "smallest_gzip: $file compressed by gzip -9 (zopfli missing or failed)" >&2
gzip -9 -n -c "$file"
