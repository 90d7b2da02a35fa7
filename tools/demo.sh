#!/usr/bin/env bash
# Builds camscope and serves the page on http://localhost:${PORT:-8000}/, cross-origin
# isolated (tools/serve.py), so that the page runs its threaded core; it also works from
# file://web/index.html, with no server at all (single-threaded).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh --threads
echo "camscope: open http://localhost:${PORT:-8000}/  (or file://$PWD/web/index.html)"
exec python3 tools/serve.py --port "${PORT:-8000}" --dir web
