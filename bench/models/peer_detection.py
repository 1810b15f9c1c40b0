# The Python peer of bench_models' detection mode: torchvision's MaskRCNN over
# resnet_fpn_backbone(arch, trainable_layers=5, norm_layer=BatchNorm2d), as issue
# 10 measured it, on the batch of prepare_droplets.py. Writes its initial weights
# (--save-weights) so that both sides start from the same ones, or loads them.
# Prints one JSON line: the seconds of each timed train step (batch 2, SGD) or of
# each image's inference, and their median.
# Usage: /usr/bin/python3 peer_detection.py --data D.pth --arch resnet50 --mode train|infer
#        [--steps 3] [--threads 2] [--weights W.pth | --save-weights W.pth] [--channels-last]
#        [--profile TRACE.json]  (the last timed step, for profile_summary.py)
import argparse
import json
import statistics
import time

import torch
import torchvision
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--mode", default="train", choices=["train", "infer"])
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--weights")
    p.add_argument("--save-weights")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--profile")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    backbone = resnet_fpn_backbone(backbone_name=a.arch, weights=None, trainable_layers=5, norm_layer=torch.nn.BatchNorm2d)
    model = MaskRCNN(backbone, num_classes=2, min_size=a.size, max_size=a.size)
    if a.save_weights:
        torch.save(model.state_dict(), a.save_weights)
        return
    if a.weights:
        model.load_state_dict(torch.load(a.weights))
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
    d = torch.load(a.data)
    n = sum(1 for k in d if k.startswith("image"))
    images = [d[f"image{i}"].float() / 255 for i in range(n)]
    targets = [{"boxes": d[f"boxes{i}"], "labels": d[f"labels{i}"], "masks": d[f"masks{i}"]} for i in range(n)]
    times = []
    profiler = None

    def maybe_profile(step):
        nonlocal profiler
        if a.profile and step == a.steps:
            profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
            profiler.__enter__()

    if a.mode == "train":
        model.train()
        opt = torch.optim.SGD([q for q in model.parameters() if q.requires_grad], lr=0.005, momentum=0.9, weight_decay=1e-4)
        for step in range(a.steps + 1):  # the first step warms up
            i = (2 * step) % n
            maybe_profile(step)
            t = time.perf_counter()
            losses = model(images[i:i + 2], [dict(x) for x in targets[i:i + 2]])
            loss = sum(losses.values())
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step:
                times.append(time.perf_counter() - t)
    else:
        model.eval()
        with torch.no_grad():
            for step in range(a.steps + 1):
                img = images[step % n]
                maybe_profile(step)
                t = time.perf_counter()
                det = model([img])[0]
                if step:
                    times.append(time.perf_counter() - t)
    if profiler:
        profiler.__exit__(None, None, None)
        profiler.export_chrome_trace(a.profile)
    print(json.dumps({"side": "python", "arch": a.arch, "mode": a.mode, "threads": a.threads, "steps": a.steps, "seconds": [round(x, 4) for x in times],
                      "median_s": round(statistics.median(times), 4), "torch": torch.__version__, "torchvision": torchvision.__version__,
                      "detections": len(det["boxes"]) if a.mode == "infer" else None}))


if __name__ == "__main__":
    main()
