#!/usr/bin/env bash
# Installs what is missing, builds, and opens the GUI on the built-in sample project.
# With no display it says how to run headless and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" && -z "${QT_QPA_PLATFORM:-}" ]]; then
  cat >&2 <<'MSG'
run.sh: no display found (DISPLAY and WAYLAND_DISPLAY are unset), so the GUI cannot open.
  - under a virtual display:  apt-get install xvfb && xvfb-run -s '-screen 0 1280x800x24' ./run.sh
  - headless, with the CLI:   build/app/cli/annotrain-cli sample /tmp/sample
                              build/app/cli/annotrain-cli stats /tmp/sample/sample.atproj
MSG
  exit 3
fi
exec build/app/annotrain --sample "$@"
