#!/usr/bin/env bash
# Installs the Debian 12 packages Annotrain Studio needs. Idempotent: packages
# already installed are skipped, and apt-get is not touched when nothing is missing.
# Usage: scripts/install-deps.sh [--gui-tools]   (--gui-tools adds Xvfb for screenshots)
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev libqt6svg6 qt6-qpa-plugins
  libopencv-dev libtorch-dev libopenblas0-openmp
  nlohmann-json3-dev libsimdjson-dev libsqlitecpp-dev libsqlite3-dev libcli11-dev zlib1g-dev
  libpng-dev libjpeg62-turbo-dev libtiff-dev libzstd-dev
  python3-torch python3-torchvision
  cython3 python3-numpy python3-dev python3-setuptools python3-matplotlib   # pycocotools, built by the tests as the COCO reference
  labelme   # the real labelme client of the labelme export test
  dataset-fashion-mnist
  clang-14 libclang-rt-14-dev
)
[[ "${1:-}" == "--gui-tools" ]] && pkgs+=(xvfb x11-apps imagemagick xdotool)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: need root to apt-get install (run as root or with sudo)" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# LibTorch's matrix products go through libblas.so.3; make sure the OpenMP
# OpenBLAS, not the reference BLAS, is the alternative in use.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
want=/usr/lib/$arch/openblas-openmp/libblas.so.3
if [[ -e $want ]] && [[ $(readlink -f /etc/alternatives/libblas.so.3-$arch 2>/dev/null) != "$(readlink -f $want)" ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    update-alternatives --set libblas.so.3-$arch "$want" >/dev/null
    update-alternatives --set liblapack.so.3-$arch /usr/lib/$arch/openblas-openmp/liblapack.so.3 >/dev/null 2>&1 || true
  else
    echo "install-deps: warning: libblas.so.3 is not OpenBLAS; training will be slow" >&2
  fi
fi
