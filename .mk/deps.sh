#!/usr/bin/env bash
# .mk/deps.sh — install what Pod/Runner needs, and only what is missing.
#
# Part of the build machinery shared by every layer (see the top-level README).
# `make deps` runs it; `make test` and `make -C 07-runner run` run it with
# --check first and install only when something is missing.
#
#   .mk/deps.sh           install missing Debian packages and Bun (idempotent)
#   .mk/deps.sh --check   exit 0 when everything is present, 1 otherwise (no changes)
#
# Bun comes from the npm registry (the `bun` package ships the binary for this
# platform as an optional dependency) into .deps/bun/, which git ignores.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

# One package per line: what it is for.
packages=(
  build-essential   # gcc, make, libc headers (asm/unistd_64.h feeds 06-ebpf's syscall table)
  pkg-config
  clang llvm        # BPF programs (06-ebpf), libFuzzer targets, sanitizers
  libclang-rt-14-dev
  libbpf-dev bpftool libelf-dev zlib1g-dev   # 06-ebpf: loader, skeletons, vmlinux.h
  libcjson-dev      # 04-policy: JSON policy files
  libnl-3-dev libnl-route-3-dev              # 05-proxy: veth, addresses, routes
  libseccomp-dev    # 03-sandbox: seccomp filters
  libnftables-dev nftables                   # 05-proxy: netfilter rules in the pod netns
  check             # every layer's unit tests
  doxygen graphviz  # make docs
  clang-format      # make format-check
  python3           # Python worker SDK and example workers (system python3)
  python3-pip       # 07-runner learn-mode test: `python3 -m pip --version` learned and enforced
  iproute2 procps psmisc   # ip/ss/ps in tests
  curl openssl      # 05-proxy tests: real clients, local TLS server
  bubblewrap strace tinyproxy wrk   # benchmark peers
  libboost-dev      # 01-ring bench: Boost.Lockfree's spsc_queue, the peer queue
  chromium          # debug UI end-to-end test (headless)
  podman runc       # 07-runner/oci: a real engine driving podrun-oci, and its default runtime as the peer
)

bun_bin="$top/.deps/bun/node_modules/.bin/bun"

missing_packages() {
  local p
  # npm may come with a non-Debian nodejs (which conflicts with Debian's npm):
  # any working npm will do to fetch Bun.
  command -v npm >/dev/null 2>&1 || echo npm
  for p in "${packages[@]}"; do
    [[ $p == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

check_only=0
[[ ${1:-} == --check ]] && check_only=1

mapfile -t missing < <(missing_packages)
need_bun=0
[[ -x $bun_bin ]] && "$bun_bin" --version >/dev/null 2>&1 || need_bun=1

if ((check_only)); then
  ((${#missing[@]} == 0 && need_bun == 0)) && exit 0
  exit 1
fi

if ((${#missing[@]})); then
  if ((EUID != 0)); then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Services shipped by peers (tinyproxy) must not start on install: the benchmarks
  # start their own instance on loopback.
  rcd_tmp=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && rcd_tmp=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ((rcd_tmp)) && rm -f /usr/sbin/policy-rc.d
  # a stopped service is what the benchmarks expect
  pkill -x tinyproxy 2>/dev/null || true
fi

if ((need_bun)); then
  command -v npm >/dev/null || { echo "deps: npm not found" >&2; exit 1; }
  # .deps may be a link (a worktree's link to the main checkout's); create what it names
  deps_dir=$(readlink -f "$top/.deps" 2>/dev/null || echo "$top/.deps")
  [[ -L $deps_dir ]] && rm -f "$deps_dir"   # a link to itself is no folder
  mkdir -p "$deps_dir/bun"
  # One installer at a time (several builds may share .deps): wait for the lock,
  # then install only if the one before us did not.
  exec 9>"$top/.deps/.install.lock"
  flock 9
  if ! "$bun_bin" --version >/dev/null 2>&1; then
    echo "deps: installing Bun from the npm registry into .deps/bun"
    [[ -f $top/.deps/bun/package.json ]] || echo '{"private":true}' > "$top/.deps/bun/package.json"
    (cd "$top/.deps/bun" && npm install --no-audit --no-fund --loglevel=error bun >/dev/null)
  fi
  exec 9>&-
  "$bun_bin" --version >/dev/null || { echo "deps: bun did not install" >&2; exit 1; }
fi
echo "deps: all present (bun $("$bun_bin" --version))"
