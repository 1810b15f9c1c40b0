# Loads a detection state dict written by Annotrain Studio into torchvision's
# model (load_state_dict strict=True), runs it on the test images and prints the
# largest difference from the reference detections (boxes, scores).
# Usage: /usr/bin/python3 check_detection_export.py CASE EXPORTED.pth REFDIR
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import reference_detection_models as ref  # noqa: E402

case, exported, refdir = sys.argv[1], sys.argv[2], sys.argv[3]
name, backbone, mask, norm = next(c for c in ref.CASES if c[0] == case)
model = ref.build(backbone, mask, norm, 3)
model.load_state_dict(torch.load(exported), strict=True)
model.eval()
data = torch.load(f"{refdir}/det_data.pth")
expected = torch.load(f"{refdir}/{case}_ref.pth")
with torch.no_grad():
    dets = model([data["image0"], data["image1"]])
worst = 0.0
for i, d in enumerate(dets):
    for k in ("boxes", "scores"):
        e = expected[f"det{i}.{k}"]
        if d[k].shape != e.shape:
            print("inf")
            sys.exit(0)
        worst = max(worst, float((d[k] - e).abs().max()) if e.numel() else 0.0)
print(worst)
