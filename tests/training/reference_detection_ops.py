# Reference outputs for tst_detection_ops: reads the inputs the test wrote
# (OUTDIR/ops_in.pth), runs torchvision's own detection ops on them and writes
# OUTDIR/ops_ref.pth. Usage: /usr/bin/python3 reference_detection_ops.py OUTDIR
import sys
from collections import OrderedDict

import torch
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import paste_masks_in_image
from torchvision.models.detection.transform import GeneralizedRCNNTransform, resize_boxes
from torchvision.ops import boxes as box_ops
from torchvision.ops import MultiScaleRoIAlign, roi_align


def main(out):
    x = torch.load(f"{out}/ops_in.pth")
    r = OrderedDict()
    a, b = x["iou.a"], x["iou.b"]
    r["iou"] = box_ops.box_iou(a, b)
    r["clip"] = box_ops.clip_boxes_to_image(x["clip.boxes"], (37, 45))
    r["small"] = box_ops.remove_small_boxes(x["clip.boxes"], 4.0)
    for case in ("small", "large"):
        r[f"nms.{case}"] = box_ops.batched_nms(x[f"nms.{case}.boxes"], x[f"nms.{case}.scores"], x[f"nms.{case}.idxs"], 0.5)
    r["nms.plain"] = torchvision.ops.nms(x["nms.small.boxes"], x["nms.small.scores"], 0.3)

    coder = det_utils.BoxCoder((10.0, 10.0, 5.0, 5.0))
    r["coder.encode"] = coder.encode_single(x["coder.gt"], x["coder.ref"])
    r["coder.decode"] = coder.decode(x["coder.codes"], [x["coder.ref"]]).reshape(x["coder.ref"].shape[0], -1)

    q = x["matcher.quality"]
    r["matcher.plain"] = det_utils.Matcher(0.7, 0.3, allow_low_quality_matches=False)(q)
    r["matcher.low"] = det_utils.Matcher(0.7, 0.3, allow_low_quality_matches=True)(q)

    torch.manual_seed(int(x["sampler.seed"]))
    pos, neg = det_utils.BalancedPositiveNegativeSampler(16, 0.25)([x["sampler.labels0"], x["sampler.labels1"]])
    for i in range(2):
        r[f"sampler.pos{i}"], r[f"sampler.neg{i}"] = pos[i], neg[i]

    feats = [x[f"features.{l}"] for l in range(5)]
    gen = AnchorGenerator(((16, 24), (32, 48), (64, 96), (128, 192), (256, 384)), ((0.5, 1.0, 2.0),) * 5)
    images = ImageList(x["anchors.batch"], [(90, 120), (96, 128)])
    r["anchors"] = gen(images, feats)[0]

    sizes = [(90, 120), (96, 128)]
    boxes = [x["pool.boxes0"], x["pool.boxes1"]]
    fmap = OrderedDict((str(l), feats[l].clone().requires_grad_(True)) for l in range(4))
    for name, size in (("box", 7), ("mask", 14)):
        pooler = MultiScaleRoIAlign(["0", "1", "2", "3"], size, 2)
        for f in fmap.values():
            f.grad = None
        y = pooler(fmap, boxes, sizes)
        r[f"pool.{name}"] = y.detach()
        (y * x[f"pool.{name}.weight"]).sum().backward()
        for l, f in enumerate(fmap.values()):
            r[f"pool.{name}.grad{l}"] = f.grad
    r["roi_align.aligned"] = roi_align(feats[0], x["roi_align.rois"], (5, 4), 0.25, -1, True)
    r["roi_align.legacy"] = roi_align(feats[0], x["roi_align.rois"], (5, 4), 0.25, 3, False)

    r["paste"] = paste_masks_in_image(x["paste.masks"], x["paste.boxes"], (100, 120), padding=1)

    t = GeneralizedRCNNTransform(64, 100, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    t.eval()
    imgs = [x["transform.image0"], x["transform.image1"]]
    targets = [{"boxes": x[f"transform.boxes{i}"], "labels": torch.ones(len(x[f"transform.boxes{i}"]), dtype=torch.int64),
                "masks": x[f"transform.masks{i}"]} for i in range(2)]
    il, tt = t(imgs, targets)
    r["transform.batch"] = il.tensors
    r["transform.sizes"] = torch.tensor(il.image_sizes)
    for i in range(2):
        r[f"transform.boxes{i}"] = tt[i]["boxes"]
        r[f"transform.masks{i}"] = tt[i]["masks"]
        r[f"transform.back{i}"] = resize_boxes(tt[i]["boxes"], il.image_sizes[i], imgs[i].shape[-2:])
    same = GeneralizedRCNNTransform(100, 150, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])  # scale 1 for image0
    same.eval()
    il, tt = same([imgs[0]], [dict(targets[0])])
    r["transform.same.batch"] = il.tensors
    r["transform.same.masks"] = tt[0]["masks"]
    torch.save(r, f"{out}/ops_ref.pth")


if __name__ == "__main__":
    main(sys.argv[1])
