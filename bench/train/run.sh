#!/usr/bin/env bash
# smallcnn on Fashion-MNIST, ours (annotrain-cli) and the Python peer side by side.
# Usage: bench/train/run.sh [WORKDIR]   (needs a build: ./test.sh or cmake --build build)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-/tmp/annotrain-bench-train}
cli=build/app/cli/annotrain-cli
mkdir -p "$work"
if [[ ! -f $work/fashion.atproj ]]; then
  $cli new "$work/fashion.atproj"
  $cli import "$work/fashion.atproj" /usr/share/datasets/fashion-mnist --format idx
fi
peak() { /usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stdout.write(p.stdout)
sys.stderr.write(p.stderr[-2000:] if p.returncode else "")
print(f"wall_s {dt:.1f} peak_rss_mb {rss:.0f}")
sys.exit(p.returncode)
PY
}
for mode in augment plain; do
  aug=none; flag=
  [[ $mode == augment ]] && { aug=hflip,crop:2; flag=--augment; }
  rm -rf "$work/run-$mode"
  echo "== $mode: ours"
  peak $cli train "$work/fashion.atproj" --model smallcnn --epochs 1 --batch 64 --lr 0.01 --optimizer sgd \
    --augment "$aug" --seed 1 --threads "$(nproc)" --out "$work/run-$mode"
  $cli eval "$work/fashion.atproj" --checkpoint "$work/run-$mode/checkpoint-last.pt" --split test | head -1
  echo "== $mode: python peer"
  /usr/bin/python3 bench/train/peer_smallcnn.py $flag --threads "$(nproc)"
done
