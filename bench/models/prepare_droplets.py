# The detection benchmark's batch: the first droplets training images, resized so
# their long side is SIZE, with their polygons as boxes and masks. Both sides of
# the benchmark read this one file, so they see the same pixels and targets.
# Usage: /usr/bin/python3 prepare_droplets.py OUT.pth [--size 512] [--count 4] [--data DIR]
import argparse
import json
import os

import numpy as np
import torch
from PIL import Image, ImageDraw


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/droplets/train"))
    a = p.parse_args()
    via = json.load(open(os.path.join(a.data, "via_region_data.json")))
    out = {}
    for i, key in enumerate(sorted(via)[: a.count]):
        entry = via[key]
        img = Image.open(os.path.join(a.data, entry["filename"])).convert("RGB")
        s = a.size / max(img.size)
        w, h = round(img.size[0] * s), round(img.size[1] * s)
        img = img.resize((w, h), Image.BILINEAR)
        regions = entry["regions"]
        regions = regions if isinstance(regions, list) else list(regions.values())
        boxes, masks = [], []
        for r in regions:
            sa = r["shape_attributes"]
            xs, ys = [x * s for x in sa["all_points_x"]], [y * s for y in sa["all_points_y"]]
            m = Image.new("L", (w, h), 0)
            ImageDraw.Draw(m).polygon(list(zip(xs, ys)), fill=1)
            boxes.append([min(xs), min(ys), max(xs), max(ys)])
            masks.append(torch.from_numpy(np.array(m)))
        out[f"image{i}"] = torch.from_numpy(np.array(img)).permute(2, 0, 1).contiguous()
        out[f"boxes{i}"] = torch.tensor(boxes, dtype=torch.float32)
        out[f"labels{i}"] = torch.ones(len(boxes), dtype=torch.int64)
        out[f"masks{i}"] = torch.stack(masks)
    torch.save(out, a.out)


if __name__ == "__main__":
    main()
