#!/usr/bin/env bash
# Mask R-CNN train-step (batch 2, SGD) and per-image inference time at 512 px:
# ours (bench_models) and torchvision's MaskRCNN in Python (peer_detection.py),
# the same initial weights and droplets images, alternating the two sides in
# every round; prints the medians and the ratio. See bench/README.md.
# Usage: bench/models/run_detection.sh [BUILD_DIR] [--rounds 3] [--train-steps 3] [--infer-steps 4]
#        [--archs "resnet18 resnet50"] [--threads 2] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build
if [[ $# -gt 0 && $1 != --* ]]; then build=$1; shift; fi
rounds=3 train_steps=3 infer_steps=4 archs="resnet18 resnet50" threads=2 work=/tmp/annotrain-bench-detection
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --train-steps) train_steps=$2; shift 2 ;;
    --infer-steps) infer_steps=$2; shift 2 ;;
    --archs) archs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
py=${PYTHON:-/usr/bin/python3}
mkdir -p "$work"
data=$work/droplets512.pth
[[ -f $data ]] || "$py" bench/models/prepare_droplets.py "$data" --size 512 --count 4
results=$work/results-$(date +%Y%m%d-%H%M%S).jsonl
for arch in $archs; do
  [[ -f $work/$arch.init.pth ]] || "$py" bench/models/peer_detection.py --data "$data" --arch "$arch" --save-weights "$work/$arch.init.pth"
done
for ((r = 1; r <= rounds; r++)); do
  for arch in $archs; do
    for mode in train infer; do
      steps=$train_steps; [[ $mode == infer ]] && steps=$infer_steps
      common=(--data "$data" --weights "$work/$arch.init.pth" --mode "$mode" --steps "$steps" --threads "$threads")
      "$build/bench/models/bench_models" --arch "maskrcnn_${arch}_fpn" "${common[@]}" | tee -a "$results"
      "$py" bench/models/peer_detection.py --arch "$arch" "${common[@]}" | tee -a "$results"
    done
  done
done
"$py" - "$results" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    j = json.loads(line)
    arch = j["arch"].replace("maskrcnn_", "").replace("_fpn", "")
    runs[(arch, j["mode"], j["side"])].append(j["median_s"])
print(f"results: {sys.argv[1]}")
print("| arch | mode | ours median s | python median s | ratio | runs (ours / python) |")
print("|---|---|---|---|---|---|")
for arch in sorted({k[0] for k in runs}):
    for mode in ("train", "infer"):
        o, p = runs.get((arch, mode, "ours")), runs.get((arch, mode, "python"))
        if not o or not p:
            continue
        mo, mp = statistics.median(o), statistics.median(p)
        label = "train step (batch 2)" if mode == "train" else "inference per image"
        print(f"| {arch} | {label} | {mo:.2f} | {mp:.2f} | {mp / mo:.2f}x | {' '.join(f'{x:.2f}' for x in o)} / {' '.join(f'{x:.2f}' for x in p)} |")
PY
