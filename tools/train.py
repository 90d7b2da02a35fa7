#!/usr/bin/env python3
"""Train the shipped cat/dog AlexNet-BN from ../shared/data/catsdogs (0 = cat, 1 = dog).

Pictures are decoded once into memory as uint8 squares (--store px, the whole picture
squashed, like camscope's own preprocessing); augmentation (random resized crop, flip,
colour jitter) runs batched on the training device. Fixed seed, per-epoch loss and
validation accuracy, best checkpoint on validation accuracy, resumable (--resume).

  /usr/bin/python3 tools/train.py --data ../shared/data/catsdogs --out build/train
  /usr/bin/python3 tools/export.py --state build/train/best.pt --arch alexnet_bn_128 ...
"""

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import cats_dogs_model  # noqa: E402

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
CLASSES = ("cat", "dog")


def _decode(args):
    """Decode one picture to a size x size RGB uint8 array (whole picture, antialiased)."""
    path, size = args
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB").resize((size, size), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def load_split(root, split, size, workers, limit=0):
    """All pictures of root/split/{cat,dog} as (N, 3, size, size) uint8 and (N,) labels."""
    paths, labels = [], []
    for label, name in enumerate(CLASSES):
        d = os.path.join(root, split, name)
        files = sorted(f for f in os.listdir(d) if f.lower().endswith((".jpg", ".jpeg", ".png")))
        files = files[:limit] if limit else files
        paths += [os.path.join(d, f) for f in files]
        labels += [label] * len(files)
    with ProcessPoolExecutor(workers) as ex:
        arrays = list(ex.map(_decode, [(p, size) for p in paths], chunksize=64))
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor(labels, dtype=torch.long)


def augment(xb, out, gen):
    """Batched random resized crop (scale 0.35-1, aspect 3/4-4/3), h-flip and colour jitter."""
    n = xb.shape[0]
    dev = xb.device
    x = xb.float() / 255.0
    u = torch.rand(n, 6, generator=gen, device="cpu").to(dev)
    area = 0.35 + 0.65 * u[:, 0]
    logr = math.log(3 / 4) + (math.log(4 / 3) - math.log(3 / 4)) * u[:, 1]
    r = torch.exp(logr)
    sw = torch.sqrt(area * r).clamp(max=1.0)
    sh = torch.sqrt(area / r).clamp(max=1.0)
    tx = (1 - sw) * (2 * u[:, 2] - 1)
    ty = (1 - sh) * (2 * u[:, 3] - 1)
    flip = torch.where(u[:, 4] < 0.5, -1.0, 1.0).to(dev)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = sw * flip
    theta[:, 0, 2] = tx
    theta[:, 1, 1] = sh
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, (n, 3, out, out), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    j = (torch.rand(n, 3, generator=gen, device="cpu").to(dev) - 0.5) * 0.6  # +-30%
    gray = x.mean(dim=1, keepdim=True)
    x = x * (1 + j[:, 0].view(n, 1, 1, 1))  # brightness
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * (1 + j[:, 1].view(n, 1, 1, 1)) + m  # contrast
    gray = x.mean(dim=1, keepdim=True)
    x = (x - gray) * (1 + j[:, 2].view(n, 1, 1, 1)) + gray  # saturation
    return normalise(x.clamp(0, 1))


def normalise(x01):
    """ImageNet mean/std on a (N, 3, H, W) tensor in [0, 1]."""
    m = torch.tensor(MEAN, device=x01.device).view(1, 3, 1, 1)
    s = torch.tensor(STD, device=x01.device).view(1, 3, 1, 1)
    return (x01 - m) / s


@torch.no_grad()
def evaluate(model, x, y, size, batch, dev):
    """Validation accuracy (%) and mean loss: whole stored picture resized to size x size."""
    model.eval()
    correct, loss_sum = 0, 0.0
    for i in range(0, x.shape[0], batch):
        xb = x[i : i + batch].to(dev).float() / 255.0
        if xb.shape[-1] != size:
            xb = F.interpolate(xb, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        logits = model(normalise(xb))
        yb = y[i : i + batch].to(dev)
        loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(1) == yb).sum().item()
    return 100.0 * correct / x.shape[0], loss_sum / x.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "catsdogs"))
    ap.add_argument("--out", default="build/train")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--store", type=int, default=192, help="decoded picture size kept in memory")
    ap.add_argument("--size", type=int, default=224, help="training crop size")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="pictures per class and split (smoke tests)")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    dev = torch.device(args.device)
    t0 = time.time()
    xtr, ytr = load_split(args.data, "train", args.store, args.workers, args.limit)
    xva, yva = load_split(args.data, "val", args.store, args.workers, args.limit)
    print(f"decoded {len(ytr)} train / {len(yva)} val pictures at {args.store}px in {time.time() - t0:.1f}s", flush=True)
    xtr, ytr = xtr.to(dev), ytr.to(dev)

    model = cats_dogs_model().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.wd, nesterov=True)
    steps_per_epoch = math.ceil(len(ytr) / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps_per_epoch, pct_start=0.15
    )
    gen = torch.Generator().manual_seed(args.seed)
    start, best, history = 0, -1.0, []
    ckpt = os.path.join(args.out, "last.pt")
    if args.resume and os.path.exists(ckpt):
        st = torch.load(ckpt, map_location=dev)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        gen.set_state(st["gen"])
        start, best, history = st["epoch"], st["best"], st["history"]
        print(f"resumed at epoch {start}, best {best:.2f}%", flush=True)

    for epoch in range(start, args.epochs):
        model.train()
        te = time.time()
        perm = torch.randperm(len(ytr), generator=gen).to(dev)
        loss_sum, seen = 0.0, 0
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch : (i + 1) * args.batch]
            xb = augment(xtr[idx], args.size, gen)
            loss = F.cross_entropy(model(xb), ytr[idx], label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            seen += len(idx)
            if args.device == "cpu" and i % 10 == 0:
                print(f"\r  epoch {epoch + 1} step {i + 1}/{steps_per_epoch} loss {loss_sum / seen:.4f}", end="", flush=True)
        acc, vloss = evaluate(model, xva, yva, args.size, 256, dev)
        history.append({"epoch": epoch + 1, "train_loss": loss_sum / seen, "val_loss": vloss, "val_acc": acc, "seconds": time.time() - te})
        if acc > best:
            best = acc
            torch.save({k: v.cpu() for k, v in model.state_dict().items()}, os.path.join(args.out, "best.pt"))
        print(f"\repoch {epoch + 1}/{args.epochs} loss {loss_sum / seen:.4f} val_loss {vloss:.4f} val_acc {acc:.2f}% best {best:.2f}% ({time.time() - te:.1f}s)", flush=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "gen": gen.get_state(), "epoch": epoch + 1, "best": best, "history": history}, ckpt)
    info = {"args": vars(args), "best_val_acc": best, "history": history, "seconds": time.time() - t0, "device": str(dev), "torch": torch.__version__}
    with open(os.path.join(args.out, "train.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"done: best validation accuracy {best:.2f}% in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
