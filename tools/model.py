"""The camscope networks in PyTorch: torchvision's AlexNet layout, with or without BatchNorm.

Module names match torchvision (features.N, avgpool, classifier.N), so layer names in the
weights file, the C++ core, the CLI and the page are PyTorch's own.
"""

import numpy as np
import torch
from torch import nn

CONVS = [  # (out_channels, kernel, stride, padding, maxpool after)
    (64, 11, 4, 2, True),
    (192, 5, 1, 2, True),
    (384, 3, 1, 1, False),
    (256, 3, 1, 1, False),
    (256, 3, 1, 1, True),
]


def alexnet(num_classes=2, batchnorm=False, hidden=4096, dropout=0.5, head_layers=None):
    """AlexNet with a head of `head_layers` Linear layers of width `hidden`.

    head_layers=3 is torchvision's head (classifier.0 .. classifier.6), head_layers=2 the
    short one (classifier.0 .. classifier.4). The default (None) keeps the old rule:
    three Linear layers when hidden == 4096, two otherwise.
    """
    if head_layers is None:
        head_layers = 3 if hidden == 4096 else 2
    if head_layers not in (2, 3):
        raise ValueError(f"head_layers must be 2 or 3, not {head_layers!r}")
    layers = []
    cin = 3
    for cout, k, s, p, pool in CONVS:
        layers.append(nn.Conv2d(cin, cout, k, stride=s, padding=p))
        if batchnorm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.ReLU(inplace=True))
        if pool:
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
        cin = cout
    model = nn.Sequential()
    model.add_module("features", nn.Sequential(*layers))
    model.add_module("avgpool", nn.AdaptiveAvgPool2d((6, 6)))
    model.add_module("flatten", nn.Flatten(1))
    if head_layers == 3:
        head = [
            nn.Dropout(dropout),
            nn.Linear(256 * 36, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        ]
    else:
        head = [
            nn.Dropout(dropout),
            nn.Linear(256 * 36, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        ]
    model.add_module("classifier", nn.Sequential(*head))
    return model


def cats_dogs_model():
    """The shipped model: AlexNet convs with BatchNorm, a 128-wide head, 2 classes."""
    return alexnet(num_classes=2, batchnorm=True, hidden=128)


def preprocess(img_u8_hwc, size=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
    """camscope's preprocessing: whole picture -> size x size, antialiased bilinear, mean/std.

    img_u8_hwc: uint8 numpy array (H, W, 3). Returns a float32 tensor (1, 3, size, size).
    The C++ core implements the same resize (PIL/torch triangle filter, half-pixel centres).
    """
    x = torch.from_numpy(np.array(img_u8_hwc, dtype=np.uint8)).permute(2, 0, 1).unsqueeze(0).to(torch.float64)
    if x.shape[2] != size or x.shape[3] != size:
        x = torch.nn.functional.interpolate(
            x, size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )
    x = x / 255.0
    m = torch.tensor(mean, dtype=torch.float64).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float64).view(1, 3, 1, 1)
    return ((x - m) / s).to(torch.float32)
