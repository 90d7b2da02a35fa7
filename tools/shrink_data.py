#!/usr/bin/env python3
"""Write a smaller copy of catsdogs/{train,val}/{cat,dog}: each picture squashed to SIZE x SIZE.

train.py decodes pictures to the same squares anyway (--store), so training on the copy
only loses the JPEG re-encoding. Used to carry the data set to a GPU machine whose upload
limit the original does not fit.

  /usr/bin/python3 tools/shrink_data.py ../shared/data/catsdogs build/catsdogs192 --size 192
"""

import argparse
import os
from concurrent.futures import ProcessPoolExecutor

from PIL import Image


def _one(args):
    """Squash one picture and save it as JPEG."""
    src, dst, size, quality = args
    with Image.open(src) as im:
        im.convert("RGB").resize((size, size), Image.BILINEAR).save(dst, quality=quality)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--size", type=int, default=192)
    ap.add_argument("--quality", type=int, default=90)
    a = ap.parse_args()
    jobs = []
    for split in ("train", "val"):
        for cls in ("cat", "dog"):
            os.makedirs(os.path.join(a.dst, split, cls), exist_ok=True)
            for f in sorted(os.listdir(os.path.join(a.src, split, cls))):
                jobs.append((os.path.join(a.src, split, cls, f), os.path.join(a.dst, split, cls, f), a.size, a.quality))
    with ProcessPoolExecutor() as ex:
        list(ex.map(_one, jobs, chunksize=64))
    print(f"wrote {len(jobs)} pictures to {a.dst}")


if __name__ == "__main__":
    main()
