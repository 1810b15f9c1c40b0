# Reference outputs for tst_detection_models: torchvision's Faster/Mask R-CNN with
# seeded random weights, on two small images. For each case it writes the state
# dict (zip; maskrcnn_resnet50_fpn also in the legacy layout and with the key
# names of torchvision's published COCO checkpoint), the images and targets, the
# detections in eval mode, the training losses on that batch with the samplers
# keeping everything and with torchvision's default batch sizes under a fixed
# seed, and a few parameter gradients.
# Usage: /usr/bin/python3 reference_detection_models.py OUTDIR
import math
import sys
from collections import OrderedDict

import torch
import torchvision
from torchvision.models.detection import FasterRCNN, MaskRCNN
from torchvision.models.detection._utils import overwrite_eps
from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
from torchvision.ops import FrozenBatchNorm2d

# The options both sides use (tst_detection_models.cpp mirrors them).
OPTIONS = dict(min_size=128, max_size=192, rpn_pre_nms_top_n_train=300, rpn_post_nms_top_n_train=80,
               rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=40, box_detections_per_img=12)
CASES = [  # name, backbone, mask, the backbone's norm: batch, frozen (batch norm) or group
    ("fasterrcnn_resnet18_fpn", "resnet18", False, "batch"),
    ("maskrcnn_resnet18_fpn", "resnet18", True, "batch"),
    ("maskrcnn_resnet18_fpn_frozen", "resnet18", True, "frozen"),
    ("maskrcnn_resnet18_fpn_gn", "resnet18", True, "group"),
    ("fasterrcnn_resnet50_fpn", "resnet50", False, "batch"),
    ("maskrcnn_resnet50_fpn", "resnet50", True, "batch"),
]
GRADS = ["backbone.body.conv1.weight", "backbone.fpn.layer_blocks.0.0.weight", "rpn.head.conv.0.0.weight",
         "roi_heads.box_head.fc6.weight", "roi_heads.box_predictor.cls_score.weight"]


def group_norm(channels):
    return torch.nn.GroupNorm(32, channels)


def build(backbone, mask, norm, classes):
    if backbone == "resnet50" and norm == "batch":
        make = torchvision.models.detection.maskrcnn_resnet50_fpn if mask else torchvision.models.detection.fasterrcnn_resnet50_fpn
        return make(weights=None, weights_backbone=None, num_classes=classes, **OPTIONS)
    layer = {"batch": torch.nn.BatchNorm2d, "frozen": FrozenBatchNorm2d, "group": group_norm}[norm]
    body = resnet_fpn_backbone(backbone_name=backbone, weights=None, norm_layer=layer, trainable_layers=3 if norm == "frozen" else 5)
    model = (MaskRCNN if mask else FasterRCNN)(body, num_classes=classes, **OPTIONS)
    if norm == "frozen":  # as torchvision loads its COCO-trained weights
        overwrite_eps(model, 0.0)
    return model


def make_data(gen):
    images, targets = [], []
    for h, w, n in ((120, 160, 4), (100, 140, 3)):
        img = torch.rand(3, h, w, generator=gen) * 0.3
        boxes, masks = [], []
        ys, xs = torch.meshgrid(torch.arange(h) + 0.5, torch.arange(w) + 0.5, indexing="ij")
        for _ in range(n):
            bw, bh = 20 + 40 * torch.rand(2, generator=gen)
            x0 = float(torch.rand(1, generator=gen)) * (w - bw - 1)
            y0 = float(torch.rand(1, generator=gen)) * (h - bh - 1)
            cx, cy = x0 + bw / 2, y0 + bh / 2
            m = ((xs - cx) / (bw / 2)) ** 2 + ((ys - cy) / (bh / 2)) ** 2 <= 1
            img[:, m] += torch.rand(3, 1, generator=gen) * 0.7
            boxes.append([x0, y0, x0 + float(bw), y0 + float(bh)])
            masks.append(m.to(torch.uint8))
        images.append(img.clamp(0, 1))
        targets.append({"boxes": torch.tensor(boxes), "labels": torch.randint(1, 3, (n,), generator=gen),
                        "masks": torch.stack(masks)})
    return images, targets


def randomise(model, images):
    # Batch-norm statistics of a real batch (momentum 1: exactly those), so that
    # eval-mode activations stay in range; heads with larger weights, so that
    # scores spread out and every stage's decisions (top-n, NMS) are clear-cut.
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns:
        m.momentum = 1.0
    if bns:
        model.train()
        with torch.no_grad():
            batch = model.transform(images)[0].tensors
            model.backbone(batch)
    for m in bns:
        m.momentum = 0.1
    for m in model.modules():
        if isinstance(m, FrozenBatchNorm2d):
            m.running_var.uniform_(0.5, 2.0)
            m.running_mean.normal_(0, 0.2)
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.2)
        if isinstance(m, torch.nn.GroupNorm):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
    with torch.no_grad():
        # Small residual branches (the last norm of each block): a random ResNet-50
        # is otherwise so chaotic that a one-ulp difference (thread count, memory
        # layout) moves its scores by 1e-4.
        for block in model.backbone.body.modules():
            last = getattr(block, "bn3", None) or (getattr(block, "bn2", None) if hasattr(block, "conv2") else None)
            if last is not None and hasattr(block, "downsample"):
                last.weight.uniform_(0.1, 0.3)
        torch.nn.init.normal_(model.rpn.head.cls_logits.weight, std=0.2)
        torch.nn.init.normal_(model.rpn.head.bbox_pred.weight, std=0.05)
        torch.nn.init.normal_(model.roi_heads.box_predictor.cls_score.weight, std=0.02)
        torch.nn.init.normal_(model.roi_heads.box_predictor.bbox_pred.weight, std=0.005)
        if hasattr(model.roi_heads.mask_predictor, "mask_fcn_logits"):
            torch.nn.init.normal_(model.roi_heads.mask_predictor.mask_fcn_logits.weight, std=0.05)


def main(out):
    gen = torch.Generator().manual_seed(7)
    images, targets = make_data(gen)
    data = OrderedDict()
    for i, (img, t) in enumerate(zip(images, targets)):
        data[f"image{i}"] = img
        for k, v in t.items():
            data[f"target{i}.{k}"] = v
    torch.save(data, f"{out}/det_data.pth")

    for name, backbone, mask, norm in CASES:
        torch.manual_seed(11)
        model = build(backbone, mask, norm, 3)
        randomise(model, images)
        sd = model.state_dict()
        torch.save(sd, f"{out}/{name}.pth")
        if name == "maskrcnn_resnet50_fpn":
            torch.save(sd, f"{out}/{name}_legacy.pth", _use_new_zipfile_serialization=False)
            # The key names of torchvision's published (pre-0.13) COCO checkpoints.
            old = OrderedDict()
            for k, v in sd.items():
                k = k.replace("rpn.head.conv.0.0.", "rpn.head.conv.")
                for i in range(4):
                    k = k.replace(f"roi_heads.mask_head.{i}.0.", f"roi_heads.mask_head.mask_fcn{i + 1}.")
                    for blk in ("inner_blocks", "layer_blocks"):
                        k = k.replace(f"backbone.fpn.{blk}.{i}.0.", f"backbone.fpn.{blk}.{i}.")
                old[k] = v
            torch.save(old, f"{out}/{name}_oldnames.pth", _use_new_zipfile_serialization=False)

        r = OrderedDict()
        model.eval()
        with torch.no_grad():
            dets = model(images)
        for i, d in enumerate(dets):
            for k, v in d.items():
                r[f"det{i}.{k}"] = v
        model.train()
        for mode in ("all", "seeded"):
            m = build(backbone, mask, norm, 3)
            m.load_state_dict(sd)
            m.train()
            if mode == "all":  # the samplers keep every candidate
                m.rpn.fg_bg_sampler.batch_size_per_image = 1000000
                m.roi_heads.fg_bg_sampler.batch_size_per_image = 1000000
            else:  # they draw, under the same seed on both sides
                m.roi_heads.fg_bg_sampler.batch_size_per_image = 32
            torch.manual_seed(5)
            losses = m(images, [dict(t) for t in targets])
            for k, v in losses.items():
                r[f"{mode}.{k}"] = v.detach()
            if mode == "all":
                sum(losses.values()).backward()
                params = dict(m.named_parameters())
                for g in GRADS:
                    if params[g].grad is not None:
                        r[f"grad.{g}"] = params[g].grad
                for k, v in m.state_dict().items():
                    if k.endswith("running_mean") and k.startswith("backbone.body.layer1.0.bn1"):
                        r[f"after.{k}"] = v
        torch.save(r, f"{out}/{name}_ref.pth")


if __name__ == "__main__":
    main(sys.argv[1])
