#!/usr/bin/env bash
# Runs every test: installs what is missing, builds native + WASM, runs the core's tests
# under AddressSanitizer/UBSan (hostile weights files, fuzzing, goldens) and with the
# optional multi-threaded kernels, fuzzes the weights parser and the CLI's picture decoders,
# then CTest:
# golden files vs PyTorch, live regeneration when torch is there, the CLI, the WASM
# modules in Node, the page in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --test
tools/build.sh

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAMSCOPE_ASAN=ON >/dev/null
cmake --build build-asan -j"$(nproc)" --target camscope_tests
echo "== core tests under AddressSanitizer + UBSan"
ASAN_OPTIONS=detect_leaks=1 build-asan/tests/camscope_tests --gtest_brief=1

echo "== the optional multi-threaded kernels (CAMSCOPE_THREADS=ON): kernels and goldens"
cmake -S . -B build-mt -DCMAKE_BUILD_TYPE=Release -DCAMSCOPE_THREADS=ON >/dev/null
cmake --build build-mt -j"$(nproc)" --target camscope_tests
CAMSCOPE_NUM_THREADS=2 build-mt/tests/camscope_tests --gtest_brief=1 \
  --gtest_filter='Kernels*:Torch*:GoldenSet*'

echo "== fuzzing the weights parser (libFuzzer + ASan/UBSan, 30 s)"
mkdir -p build-fuzz/corpus
clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iwasm \
  tests/fuzz/fuzz_weights.cpp wasm/weights_io.cpp wasm/graph.cpp wasm/plan.cpp wasm/ops/*.cpp wasm/kernels/*.cpp \
  -o build-fuzz/fuzz_weights
if ! build-fuzz/fuzz_weights build-fuzz/corpus tests/fuzz/seeds -max_total_time=30 -max_len=4096 \
    >build-fuzz/log 2>&1; then
  tail -40 build-fuzz/log
  exit 1
fi
grep -E "^Done" build-fuzz/log

echo "== fuzzing the CLI's picture decoders (libFuzzer + ASan/UBSan, 15 s)"
mkdir -p build-fuzz/picture_corpus build-fuzz/picture_seeds
/usr/bin/python3 tests/pictures_test.py --seeds build-fuzz/picture_seeds >/dev/null
clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iwasm/cli -isystem /usr/include/stb \
  tests/fuzz/fuzz_pictures.cpp wasm/cli/image_io.cpp wasm/cli/decode_jpeg.cpp \
  wasm/cli/decode_webp.cpp wasm/cli/exif.cpp -ljpeg -lwebp -lwebpdemux -o build-fuzz/fuzz_pictures
if ! build-fuzz/fuzz_pictures build-fuzz/picture_corpus build-fuzz/picture_seeds -max_total_time=15 \
    -max_len=4096 -timeout=10 -rss_limit_mb=2560 >build-fuzz/pictures_log 2>&1; then
  tail -40 build-fuzz/pictures_log
  exit 1
fi
grep -E "^Done" build-fuzz/pictures_log

echo "== all tests"
ctest --test-dir build --output-on-failure -j"$(nproc)"
