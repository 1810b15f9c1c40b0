#!/usr/bin/python3
"""The peer of bench_coco_eval: pycocotools on the same files, each step timed.

    peer_cocoeval.py GT.json DT.json bbox|segm OUT.json

Writes {"load_gt", "load_res", "evaluate", "accumulate", "summarize" (wall seconds), the
same with a "cpu_" prefix (this process's CPU seconds), "stats"}.
Run with PYTHONPATH at the pycocotools that scripts/build_pycocotools.py built.
"""
import contextlib
import json
import sys
import time

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def main():
    gt_path, dt_path, iou_type, out = sys.argv[1:5]
    t = {}

    def timed(name, f):
        s, c = time.perf_counter(), time.process_time()
        r = f()
        t[name], t["cpu_" + name] = time.perf_counter() - s, time.process_time() - c
        return r

    with contextlib.redirect_stdout(sys.stderr):
        gt = timed("load_gt", lambda: COCO(gt_path))
        dt = timed("load_res", lambda: gt.loadRes(dt_path))
        e = COCOeval(gt, dt, iou_type)
        for step in ("evaluate", "accumulate", "summarize"):
            timed(step, getattr(e, step))
    t["stats"] = [float(v) for v in e.stats]
    json.dump(t, open(out, "w"))


if __name__ == "__main__":
    main()
