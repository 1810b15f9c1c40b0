# The Python peer of bench_models: torchvision's model trained on the same
# synthetic batches, and the same 2048^2 matmul peak. Prints one JSON line.
# Usage: /usr/bin/python3 peer_resnet.py [--arch resnet18] [--size 224] [--batch 16]
#        [--steps 10] [--device cpu|cuda] [--threads N]
import argparse
import json
import os
import time

import torch
import torchvision

GMACS_224 = {"resnet18": 1.814, "resnet34": 3.664, "resnet50": 4.089}


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(dev):
    n = 2048
    a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
    c = a @ b
    sync(dev)
    best = 0.0
    inner = 20 if dev.type == "cuda" else 1
    for _ in range(20 if dev.type == "cuda" else 5):
        t = time.perf_counter()
        for _ in range(inner):
            c = a @ b
        sync(dev)
        best = max(best, inner * 2.0 * n ** 3 / (time.perf_counter() - t) / 1e9)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--cudnn-benchmark", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.cudnn.benchmark = a.cudnn_benchmark
    dev = torch.device(a.device)
    peak = matmul_peak(dev)
    torch.manual_seed(0)
    model = getattr(torchvision.models, a.arch)(num_classes=1000).to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(a.batch, 3, a.size, a.size, device=dev)
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (a.batch,), device=dev)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(2):
        step()
    sync(dev)
    t = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync(dev)
    ips = a.steps * a.batch / (time.perf_counter() - t)
    gmacs = GMACS_224[a.arch] * (a.size / 224) ** 2
    print(json.dumps({"side": "python", "arch": a.arch, "device": a.device, "channels_last": a.channels_last, "threads": a.threads, "size": a.size, "batch": a.batch,
                      "steps": a.steps, "images_per_s": round(ips, 2), "matmul_gflops": round(peak, 1),
                      "train_gmacs_per_s": round(ips * 3 * gmacs, 1), "peak_fraction_macs": round(ips * 3 * gmacs / peak, 3),
                      "peak_fraction_flops": round(ips * 6 * gmacs / peak, 3), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
