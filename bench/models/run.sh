#!/usr/bin/env bash
# resnet18 training at 224x224, batch 16: ours (bench_models) and torchvision in
# Python side by side, each with its own 2048^2 matmul peak; prints the ratio.
# Usage: bench/models/run.sh [BUILD_DIR] [extra args for both, e.g. --steps 20 --device cuda]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
shift || true
py=${PYTHON:-/usr/bin/python3}
ours=$("$build/bench/models/bench_models" "$@")
peer=$("$py" bench/models/peer_resnet.py "$@")
echo "$ours"
echo "$peer"
"$py" - "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"images/s ours {o['images_per_s']:.2f} python {p['images_per_s']:.2f} ratio {o['images_per_s'] / p['images_per_s']:.2f}x; "
      f"peak fraction (MACs) ours {o['peak_fraction_macs']:.0%} python {p['peak_fraction_macs']:.0%}")
PY
