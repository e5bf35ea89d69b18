#!/usr/bin/env bash
# .mk/install.sh — `make install PREFIX=... DESTDIR=...` (run from the top).
#
# The installed tree has the shape of the build tree under PREFIX/lib/podrun, so
# podrun finds its files the same way in both: rt_top() walks up from the
# binary to the directory holding 02-ipc/ and 07-runner/. Nothing in a binary
# names a path; the layout is relocatable (move PREFIX and it still runs).
#
#   PREFIX/bin/podrun, podpolicy, podrun-oci   symlinks into lib/podrun
#   PREFIX/lib/podrun/...               binaries, the pod's files (SDKs, libring.so,
#                                       pod host, LD_AUDIT library, bootstrap),
#                                       the Bun module (07-runner/bun/podrun.ts)
#   PREFIX/include/podrun/*.h           podrun.h (embedding API), podlib.h (C-lib ABI)
#
# Bun is not installed: a Bun pod uses <lib/podrun>/.deps/bun when present, else
# `bun` on the runner's PATH (/usr/local/bin:/usr/bin:/bin).
set -euo pipefail
destdir=${1:-}
prefix=${2:-/usr/local}
case $prefix in /*) ;; *) echo "install: PREFIX must be absolute: $prefix" >&2; exit 2;; esac
root=$destdir$prefix
lib=$root/lib/podrun

files=(
  07-runner/build/podrun
  07-runner/build/libpodrun.so
  07-runner/oci/build/podrun-oci
  07-runner/podhost/build/podhost
  07-runner/ldaudit/build/libpodaudit.so
  07-runner/ldaudit/boot/podboot.py
  07-runner/ldaudit/boot/podpreload.ts
  07-runner/bun/podrun.ts
  01-ring/build/libring.so
  04-policy/build/podpolicy
  02-ipc/bun/pod.ts
  02-ipc/bun/pod.d.ts
)
for f in "${files[@]}"; do
  [[ -e $f ]] || { echo "install: $f is missing (run make first)" >&2; exit 1; }
  install -D -m "$([[ -x $f ]] && echo 755 || echo 644)" "$f" "$lib/$f"
done
# the Python SDK: every .py of the package, no caches
while IFS= read -r f; do install -D -m 644 "$f" "$lib/$f"; done \
  < <(find 02-ipc/python -name '*.py' -not -path '*/__pycache__/*')
for h in podrun.h podlib.h; do install -D -m 644 "07-runner/include/$h" "$root/include/podrun/$h"; done
mkdir -p "$root/bin"
ln -sfn ../lib/podrun/07-runner/build/podrun "$root/bin/podrun"
ln -sfn ../lib/podrun/04-policy/build/podpolicy "$root/bin/podpolicy"
ln -sfn ../lib/podrun/07-runner/oci/build/podrun-oci "$root/bin/podrun-oci"
echo "installed into $root (podrun: $root/bin/podrun)"
