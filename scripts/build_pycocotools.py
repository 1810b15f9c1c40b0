#!/usr/bin/python3
"""Builds pycocotools from its upstream sources into a folder of the build tree.

pycocotools is the reference the COCO evaluator is tested and benchmarked against;
Debian does not package it, so ../shared/peers/cocoapi holds its PythonAPI and C
sources (BSD licence). It is never part of the product.

    /usr/bin/python3 scripts/build_pycocotools.py SRC OUT

SRC is the cocoapi folder (PythonAPI/, common/); it may be read-only. OUT receives a
writable copy with two changes that Debian 12's numpy 1.24 and gcc need: np.float
(removed from numpy) becomes np.float64 in cocoeval.py, and setup.py's
extra_compile_args are dropped. The extension is built in place with Debian's cython3,
python3-numpy and python3-dev. Run again it does nothing while the sources are
unchanged. Prints the folder to put on PYTHONPATH (OUT/PythonAPI).
"""
import fcntl
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys

RECIPE = "2"  # bump when the patches below change


def source_files(src):
    for sub in ("PythonAPI", "common"):
        for root, dirs, files in os.walk(os.path.join(src, sub)):
            dirs[:] = sorted(d for d in dirs if d not in ("build", "__pycache__"))
            for f in sorted(files):
                if f.endswith((".py", ".pyx", ".c", ".h")) or f == "Makefile":
                    yield os.path.join(root, f)


def digest(src):
    h = hashlib.sha256(RECIPE.encode())
    for path in source_files(src):
        h.update(os.path.relpath(path, src).encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def patch(path, pattern, repl, what):
    with open(path) as f:
        text = f.read()
    new, n = re.subn(pattern, repl, text)
    if n == 0:
        sys.exit(f"build_pycocotools: {path}: found nothing to patch ({what})")
    with open(path, "w") as f:
        f.write(new)


def build(src, out):
    if os.path.exists(out):
        shutil.rmtree(out)
    for path in source_files(src):
        dst = os.path.join(out, os.path.relpath(path, src))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(path, dst)
        os.chmod(dst, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    api = os.path.join(out, "PythonAPI")
    patch(os.path.join(api, "pycocotools", "cocoeval.py"), r"\bnp\.float\b(?!\d)", "np.float64", "np.float")
    patch(os.path.join(api, "setup.py"), r"\n\s*extra_compile_args=\[[^\]]*\],?", "", "extra_compile_args")
    log = os.path.join(out, "build.log")
    with open(log, "w") as f:
        r = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=api, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        with open(log) as f:
            tail = f.read()[-3000:]
        sys.exit(f"build_pycocotools: building the extension failed (needs cython3, python3-numpy, python3-dev):\n{tail}")
    env = dict(os.environ, PYTHONPATH=api, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, "-c", "import pycocotools.mask, pycocotools.coco, pycocotools.cocoeval"], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"build_pycocotools: the built pycocotools does not import:\n{r.stderr[-3000:]}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.path.isfile(os.path.join(src, "common", "maskApi.c")):
        sys.exit(f"build_pycocotools: {src}: no common/maskApi.c; not the cocoapi sources")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    # Two test processes may ask at once: one builds, the other waits.
    with open(out + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        want = digest(src)
        stamp = os.path.join(out, "stamp")
        have = open(stamp).read().strip() if os.path.exists(stamp) else ""
        if have != want:
            build(src, out)
            with open(stamp, "w") as f:
                f.write(want + "\n")
    print(os.path.join(out, "PythonAPI"))


if __name__ == "__main__":
    main()
