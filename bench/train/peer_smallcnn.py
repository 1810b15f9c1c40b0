# Python peer of the smallcnn benchmark: the lecture's CNN on Fashion-MNIST,
# batch 64, SGD momentum 0.9, lr 0.01, one epoch, with the same thread count.
#   --augment: per-sample torchvision transforms (RandomHorizontalFlip, RandomCrop(28, padding=2))
#              through a DataLoader, the usual tutorial setup;
#   otherwise: a plain loop over in-memory tensors.
# Prints one JSON line: images_per_s, test_accuracy, peak_rss_mb, seconds.
import argparse
import gzip
import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0] + "/../../tests/training")
from reference_models import SmallCnn  # noqa: E402


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--augment", action="store_true")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    xtr, ytr = idx(f"{a.data}/train-images-idx3-ubyte.gz"), idx(f"{a.data}/train-labels-idx1-ubyte.gz")
    xte, yte = idx(f"{a.data}/t10k-images-idx3-ubyte.gz"), idx(f"{a.data}/t10k-labels-idx1-ubyte.gz")
    model = SmallCnn(1, 28, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    start = time.perf_counter()
    model.train()
    if a.augment:
        import torchvision.transforms as T
        from PIL import Image

        tf = T.Compose([T.RandomHorizontalFlip(), T.RandomCrop(28, padding=2), T.ToTensor()])

        class Ds(torch.utils.data.Dataset):
            def __len__(self):
                return len(ytr)

            def __getitem__(self, i):
                return tf(Image.fromarray(xtr[i])), int(ytr[i])

        loader = torch.utils.data.DataLoader(Ds(), batch_size=64, shuffle=True, num_workers=a.workers)
        for x, y in loader:
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    else:
        X = torch.from_numpy(xtr.copy()).float().div_(255).unsqueeze(1)
        Y = torch.from_numpy(ytr.astype(np.int64))
        perm = torch.randperm(len(Y))
        for i in range(0, len(Y), 64):
            idx_ = perm[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(model(X[idx_]), Y[idx_]).backward()
            opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        Xt = torch.from_numpy(xte.copy()).float().div_(255).unsqueeze(1)
        acc = (model(Xt).argmax(1).numpy() == yte).mean()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"images_per_s": len(ytr) / seconds, "test_accuracy": float(acc), "peak_rss_mb": rss, "seconds": seconds}))


if __name__ == "__main__":
    main()
