#!/usr/bin/env bash
# Takes docs/screenshots/viewer.png: the droplets training set (../shared/data/droplets)
# in the project viewer, under Xvfb. Needs a build (./test.sh or ./run.sh) and the
# packages xvfb, xdotool and imagemagick (scripts/install-deps.sh --gui-tools).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${ANNOTRAIN_SHARED_DATA:-$(pwd)/../shared/data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build/app/cli/annotrain-cli new "$tmp/droplets.atproj" --images "$data/droplets" >/dev/null
build/app/cli/annotrain-cli import "$tmp/droplets.atproj" "$data/droplets/train/via_region_data.json" \
  --format via --default-class droplet >/dev/null
cat >"$tmp/shoot.sh" <<SH
build/app/annotrain "$tmp/droplets.atproj" &
sleep 4
import -window root "$tmp/viewer.png"
kill %1
SH
xvfb-run -s '-screen 0 1200x760x24' bash "$tmp/shoot.sh"
convert "$tmp/viewer.png" -colors 96 docs/screenshots/viewer.png
echo "wrote docs/screenshots/viewer.png"

# The Train workspace as a new user meets it: the GUI on a fresh sample project, the Train tab
# clicked, Start clicked with every setting left to the data, the run a few seconds before its
# end (xdotool clicks at the places of the 1200 x 760 window, which has no window manager).
build/app/cli/annotrain-cli sample "$tmp/sample" >/dev/null
cat >"$tmp/train.sh" <<SH
build/app/annotrain "$tmp/sample/sample.atproj" &
sleep 5
xdotool mousemove 105 32 click 1
sleep 1
xdotool mousemove 72 526 click 1
sleep 9
import -window root "$tmp/train.png"
kill %1
SH
xvfb-run -s '-screen 0 1200x800x24' bash "$tmp/train.sh"
convert "$tmp/train.png" -colors 128 docs/screenshots/train.png
echo "wrote docs/screenshots/train.png"

# The rest of the Train workspace on the sample project, grabbed by the GUI tests under Xvfb:
# two runs' curves overlaid, the confusion matrix, filters and feature maps, the augmentation
# preview, Inspect, the Dataset menu's statistics and validation report, and the class
# manager right after a merge was undone.
ANNOTRAIN_SCREENSHOT="$tmp/train-test.png" ANNOTRAIN_SCREENSHOT_DIR="$tmp" QT_QPA_PLATFORM=xcb \
  xvfb-run -s '-screen 0 1280x800x24' build/tests/ui_tst_train_panel >/dev/null
ANNOTRAIN_SCREENSHOT_DIR="$tmp" QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1280x800x24' build/tests/ui_tst_dataset_dialogs >/dev/null
ANNOTRAIN_SCREENSHOT_DIR="$tmp" QT_QPA_PLATFORM=xcb xvfb-run -s '-screen 0 1280x800x24' build/tests/ui_tst_class_manager mergeAddsUpCounts >/dev/null
for shot in train-compare train-confusion train-filters augment-preview inspect dataset-stats validation class-manager; do
  convert "$tmp/$shot.png" -colors 128 "docs/screenshots/$shot.png"
  echo "wrote docs/screenshots/$shot.png"
done

# train-detection.png: a Mask R-CNN run in the Train workspace, every setting but the task, the
# epochs and the image size left to the data: droplets split with a seed, Task instance, 6 epochs
# at 256 px, Start, the window taken once the run has finished.
build/app/cli/annotrain-cli split "$tmp/droplets.atproj" --ratios 0.85,0.15,0 --seed 1 >/dev/null
cat >"$tmp/detect.sh" <<SH
build/app/annotrain "$tmp/droplets.atproj" &
sleep 5
xdotool mousemove 105 32 click 1
sleep 1
xdotool mousemove 232 73 click 1
sleep 1
xdotool key Down Down Down Return
sleep 1
xdotool mousemove 225 130 click 1 key ctrl+a type 6
xdotool mousemove 225 273 click 1 key ctrl+a type 256
xdotool mousemove 72 526 click 1
for i in \$(seq 600); do
  sleep 1
  m=\$(ls "$tmp"/runs/*/metrics.jsonl 2>/dev/null | head -1)
  [[ -n \$m ]] && [[ \$(grep -c '"epoch_end":true' "\$m") -ge 6 ]] && break
done
sleep 3
import -window root "$tmp/detect.png"
kill %1
SH
xvfb-run -s '-screen 0 1200x800x24' bash "$tmp/detect.sh"
convert "$tmp/detect.png" -colors 128 docs/screenshots/train-detection.png
echo "wrote docs/screenshots/train-detection.png"
