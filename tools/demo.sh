#!/usr/bin/env bash
# Builds camscope and serves the page on http://localhost:${PORT:-8000}/ (it also works
# from file://web/index.html, with no server at all).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
echo "camscope: open http://localhost:${PORT:-8000}/  (or file://$PWD/web/index.html)"
cd web && exec python3 -m http.server "${PORT:-8000}" --bind 127.0.0.1
