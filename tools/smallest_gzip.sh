#!/usr/bin/env bash
# The page's gzip streams (the core's wasm in tools/bundle_web.mjs, the weights in
# tools/embed_weights.py): standard input gzip-compressed on standard output, by Debian's zopfli
# where it is installed (tools/setup.sh; the same format, ~5% smaller than zlib's level 9) and
# its stream decompresses to the input, else by gzip -9 -n (a note on stderr says so).
#   tools/smallest_gzip.sh [ZOPFLI_ITERATIONS=15] < IN > OUT.gz
set -euo pipefail
iterations="${1:-15}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/in" # zopfli reads files only, not a pipe
if command -v zopfli >/dev/null && zopfli "--i$iterations" -c "$dir/in" >"$dir/out" 2>/dev/null &&
    [ -s "$dir/out" ] && gzip -dc "$dir/out" | cmp -s - "$dir/in"; then
  cat "$dir/out"
  exit 0
fi
echo "smallest_gzip: compressed by gzip -9 (zopfli missing or failed)" >&2
gzip -9 -n -c "$dir/in"
