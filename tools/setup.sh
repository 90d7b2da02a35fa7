#!/usr/bin/env bash
# Installs what camscope needs on Debian 12, skipping what is already there.
# Used by tools/demo.sh and tools/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake make g++ pkg-config libstb-dev libjpeg62-turbo-dev libwebp-dev libgtest-dev libeigen3-dev
          emscripten node-acorn node-terser zopfli libjpeg-turbo-progs python3 python3-numpy python3-pil)
if [ "${1:-}" = "--test" ]; then
  # Tests also need PyTorch (live golden regeneration), Chromium (browser tests) and
  # Firefox ESR (the same page tests in a second browser, over WebDriver BiDi); h5py reads and
  # writes Keras files (tools/export_keras.py, tests/keras); SciPy is the metrics' reference;
  # poppler-utils turns the printed lab report into pictures (tests/browser/print.test.mjs);
  # a Chinese font (the page in Chinese, tests/browser/i18n and phone screenshots).
  packages+=(python3-torch python3-torchvision python3-scipy chromium firefox-esr clang-14
             libclang-rt-14-dev python3-h5py poppler-utils fonts-wqy-microhei)
fi
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Browser tests drive Debian's chromium through npm's playwright-core (no browser download)
# and Debian's firefox-esr through npm's ws (tests/browser/firefox.mjs), and check the page
# with axe-core; a checkout that lacks any of them gets all (npm ci).
if [ "${1:-}" = "--test" ] && [ -f tests/browser/package.json ] &&
   { [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/ws ] ||
     [ ! -d tests/browser/node_modules/axe-core ]; }; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

# The Keras test's reference implementation: npm's @tensorflow/tfjs (pure-JS CPU backend; no
# native download), pinned in tests/keras/package-lock.json.
if [ "${1:-}" = "--test" ] && [ -f tests/keras/package.json ] &&
   [ ! -d tests/keras/node_modules/@tensorflow/tfjs ]; then
  (cd tests/keras && npm ci --no-audit --no-fund --loglevel=error)
fi
