#!/usr/bin/python3
# predict's COCO results against `export --format coco` of the same project, in
# pycocotools itself: loadRes must accept the file (RLE masks included) and COCOeval
# runs on it. Prints {"bbox": [12 numbers], "segm": [...]} for the test to compare
# with annotrain-cli coco-eval. Usage: check_detection_predict.py GT.json DT.json
import contextlib
import io
import json
import sys

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

gt_path, dt_path = sys.argv[1], sys.argv[2]
out = {}
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(gt_path)
    dt = gt.loadRes(dt_path)
    for kind in ("bbox", "segm"):
        e = COCOeval(gt, dt, kind)
        e.evaluate()
        e.accumulate()
        e.summarize()
        out[kind] = [float(x) for x in e.stats]
out["results"] = len(dt.getAnnIds())
print(json.dumps(out))
