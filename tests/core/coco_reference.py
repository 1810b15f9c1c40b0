#!/usr/bin/python3
"""pycocotools as the reference for tst_coco_eval (run with Debian's /usr/bin/python3 and
PYTHONPATH at the pycocotools built by scripts/build_pycocotools.py).

    coco_reference.py thresholds OUT.json
    coco_reference.py eval JOBS.json OUT.json    JOBS: [{"gt", "dt", "iouType"}, ...]
    coco_reference.py mask CASES.json OUT.json   see mask_cases()

Writes JSON; pycocotools' own printing goes to stderr.
"""
import contextlib
import json
import sys

import numpy as np


def thresholds(out):
    from pycocotools.cocoeval import Params
    p = Params(iouType="bbox")
    json.dump({"iouThrs": [float(v) for v in p.iouThrs], "recThrs": [float(v) for v in p.recThrs]}, open(out, "w"))


def evaluate(jobs_path, out):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    results = []
    for job in json.load(open(jobs_path)):
        with contextlib.redirect_stdout(sys.stderr):
            gt = COCO(job["gt"])
            dt = gt.loadRes(job["dt"])
            e = COCOeval(gt, dt, job["iouType"])
            e.evaluate()
            e.accumulate()
            e.summarize()
        per_category = {}
        for k, cat_id in enumerate(e.params.catIds):
            p = e.eval["precision"][:, :, k, 0, -1]
            p = p[p > -1]
            per_category[str(cat_id)] = float(np.mean(p)) if p.size else -1.0
        results.append({"stats": [float(s) for s in e.stats], "perCategory": per_category})
    json.dump(results, open(out, "w"))


def as_str(counts):
    return counts.decode("ascii") if isinstance(counts, bytes) else counts


def mask_cases(cases_path, out):
    """masks: [{"h", "w", "rows": [[0/1] * w] * h}] -> encode, area, toBbox of each;
    merges: [{"masks": [i...], "intersect": 0/1}]; ious: [{"dt": [i...], "gt": [i...], "iscrowd": [...]}];
    boxIous: [{"dt": [[x,y,w,h]...], "gt": [...], "iscrowd": [...]}];
    polygons: [{"h", "w", "parts": [[x0,y0,...]...]}] -> frPoly of each part, and their merge;
    boxes: [{"h", "w", "box": [x,y,w,h]}] -> frBbox."""
    from pycocotools import mask as M
    from pycocotools import _mask
    c = json.load(open(cases_path))
    rles = []
    res = {"masks": [], "merges": [], "ious": [], "boxIous": [], "polygons": [], "boxes": []}
    for m in c["masks"]:
        a = np.asfortranarray(np.array(m["rows"], dtype=np.uint8).reshape((m["h"], m["w"])))
        r = M.encode(a)
        rles.append(r)
        back = M.decode(r)
        res["masks"].append({"counts": as_str(r["counts"]), "area": int(M.area(r)), "bbox": [float(v) for v in M.toBbox(r)],
                             "roundTrip": bool((back == a).all())})
    for g in c["merges"]:
        r = M.merge([rles[i] for i in g["masks"]], intersect=g["intersect"])
        res["merges"].append({"size": [int(v) for v in r["size"]], "counts": as_str(r["counts"])})
    for q in c["ious"]:
        o = M.iou([rles[i] for i in q["dt"]], [rles[i] for i in q["gt"]], q["iscrowd"])
        res["ious"].append(np.asarray(o, dtype=float).tolist())
    for q in c["boxIous"]:
        o = M.iou(q["dt"], q["gt"], q["iscrowd"])
        res["boxIous"].append(np.asarray(o, dtype=float).tolist())
    for p in c["polygons"]:
        parts = _mask.frPoly(p["parts"], p["h"], p["w"])
        merged = M.merge(parts)
        res["polygons"].append({"parts": [as_str(r["counts"]) for r in parts], "merged": as_str(merged["counts"])})
    for b in c["boxes"]:
        r = M.frPyObjects(np.array([b["box"]], dtype=np.float64), b["h"], b["w"])[0]
        res["boxes"].append(as_str(r["counts"]))
    json.dump(res, open(out, "w"))


def main():
    mode = sys.argv[1]
    if mode == "thresholds":
        thresholds(sys.argv[2])
    elif mode == "eval":
        evaluate(sys.argv[2], sys.argv[3])
    elif mode == "mask":
        mask_cases(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
