#!/usr/bin/env bash
# The settings `train` chooses from the data, measured on real projects (issue 10 §7):
#   sample    the built-in sample project, `train` with no options at all;
#   unet      droplets, U-Net with every setting chosen and --time-budget 5m;
#   instance  droplets, Mask R-CNN R18-FPN from scratch with every setting chosen and
#             --time-budget 20m (BUDGET=... to change it).
# Usage: bench/train/recipe.sh BUILD_DIR WORK_DIR [sample|unet|instance]...
# Each prints its "auto:" lines, the wall time and the held-out metrics (eval --json).
set -euo pipefail
build=$(realpath "$1")
work=$2
shift 2
parts=("$@")
((${#parts[@]})) || parts=(sample unet instance)
C=$build/app/cli/annotrain-cli
data=${ANNOTRAIN_SHARED_DATA:-$(dirname "$0")/../../../shared/data}
data=$(realpath "$data")
mkdir -p "$work"
work=$(realpath "$work")
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), BLAS $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo '?')"

timed() { # timed LOG CMD...: runs CMD, its stderr to LOG, and prints the wall time
  local t0 t1
  t0=$(date +%s.%N)
  "${@:2}" 2>"$1"
  t1=$(date +%s.%N)
  printf 'wall %.1f s\n' "$(echo "$t1 - $t0" | bc)"
  grep -E '^auto:' "$1" || true
}

# droplets with its train/ and val/ folders pooled and split again with a seed: the one
# picture that is in both folders (video1image0.jpg) must not be in two splits.
droplets() {
  local p=$work/drops.atproj
  [[ -e $p ]] && return
  "$C" new "$p" --images "$data/droplets" >/dev/null
  "$C" import "$p" "$data/droplets/train/via_region_data.json" --format via --default-class droplet >/dev/null
  "$C" import "$p" "$data/droplets/val/via_region_data.json" --format via --default-class droplet >/dev/null
  for seed in 1 2 3 4 5 6 7 8 9; do
    "$C" split "$p" --ratios 0.85,0.15,0 --seed "$seed" >/dev/null
    if ! "$C" validate "$p" 2>&1 | grep -q "split_leak\|but in split"; then echo "droplets: split with seed $seed"; return; fi
  done
  echo "droplets: every seed put the duplicate in two splits" >&2
  exit 1
}

for part in "${parts[@]}"; do
  echo "== $part"
  case $part in
  sample)
    rm -rf "$work/sample"
    "$C" sample "$work/sample" >/dev/null
    timed "$work/sample.log" "$C" train "$work/sample/sample.atproj" --out "$work/sample/run"
    "$C" eval "$work/sample/sample.atproj" --checkpoint "$work/sample/run/checkpoint-best.pt" --split val --json | grep -m1 '"accuracy"'
    ;;
  unet)
    droplets
    rm -rf "$work/unet"
    timed "$work/unet.log" "$C" train "$work/drops.atproj" --task segmentation --time-budget "${UNET_BUDGET:-5m}" --out "$work/unet"
    "$C" eval "$work/drops.atproj" --checkpoint "$work/unet/checkpoint-best.pt" --split val --json | grep -E '"(miou|droplet)"' | head -3
    ;;
  instance)
    droplets
    rm -rf "$work/instance"
    timed "$work/instance.log" "$C" train "$work/drops.atproj" --task instance --time-budget "${BUDGET:-20m}" --out "$work/instance"
    grep -E 'epoch|trained' "$work/instance.log" | tail -3
    "$C" eval "$work/drops.atproj" --checkpoint "$work/instance/checkpoint-best.pt" --split val
    ;;
  *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
