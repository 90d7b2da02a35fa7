#!/usr/bin/env python3
"""Re-measures the shipped model on ../shared/data/catsdogs/val through the native CLI and
checks the model card's numbers. Skipped (exit 77) where the data set is absent, as on a
user's machine.

  python3 tests/model_card_test.py BUILD/camscope
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "catsdogs", "val")
WEIGHTS = os.path.join(ROOT, "weights", "camscope_catsdogs_int8.csw")
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def main():
    cli = sys.argv[1]
    if not os.path.isdir(DATA):
        print(f"skipped: no validation pictures at {DATA} (the data set is not shipped)")
        return 77
    with open(os.path.join(ROOT, "weights", "evaluation.json")) as f:
        ev = json.load(f)
    with open(os.path.join(ROOT, "weights", "MODEL_CARD.md")) as f:
        card = f.read()
    files = []
    for label, name in enumerate(("cat", "dog")):
        d = os.path.join(DATA, name)
        files += [(os.path.join(d, f), label) for f in sorted(os.listdir(d))]
    preds = {}
    for i in range(0, len(files), 400):
        out = subprocess.run([cli, "classify", *[p for p, _ in files[i : i + 400]], "--weights", WEIGHTS],
                             capture_output=True, text=True)
        check(out.returncode == 0, f"classify exit status {out.returncode}: {out.stderr[:200]}")
        for line in out.stdout.splitlines():
            cols = line.split("\t")
            preds[cols[0]] = int(cols[1])
    check(len(preds) == len(files), f"{len(preds)} predictions for {len(files)} pictures")
    acc = 100.0 * sum(preds.get(p) == y for p, y in files) / len(files)
    print(f"shipped int8 model through the CLI: {acc:.2f}% on {len(files)} validation pictures")
    check(acc >= 85.0, f"accuracy {acc:.2f}% below 85%")
    check(abs(acc - ev["cli_int8_accuracy"]) < 0.051, f"accuracy {acc:.2f}% differs from evaluation.json")
    check(abs(ev["cli_int8_accuracy"] - ev["torch_f32_accuracy"]) <= 0.5, "C++ int8 and PyTorch f32 differ > 0.5 points")
    check(ev["prediction_agreement"] >= 99.5, "predictions agree on < 99.5% of pictures")
    for key in ("torch_f32_accuracy", "cli_int8_accuracy", "prediction_agreement"):
        check(f"{ev[key]:.2f}%" in card, f"MODEL_CARD.md does not state {key} = {ev[key]:.2f}%")
    check(f"{ev['min_map_correlation_displayed']:.5f}" in card, "MODEL_CARD.md lacks the map correlation")
    check(f"{os.path.getsize(WEIGHTS):,}" in card, "MODEL_CARD.md lacks the file size")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
