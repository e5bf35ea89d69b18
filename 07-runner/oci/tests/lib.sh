# 07-runner/oci/tests/lib.sh — shared by the podrun-oci tests and benchmark:
# the privilege check, an exploded root file system built from the host's
# files, and its cleanup.
#
# Sourced (bash). Needs PODRUN_OCI (the binary). Sets T (a private temp dir),
# ROOTFS, STATE (podrun-oci --root for these tests only).

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

skip_or_fail() {
	if [[ ${POD_REQUIRE_PRIVILEGED:-0} == 1 ]]; then
		echo "FAIL: $1 (POD_REQUIRE_PRIVILEGED=1)"
		exit 1
	fi
	echo "SKIP: $1"
	exit 0
}

need_env() {
	[[ $EUID == 0 ]] || skip_or_fail "podrun-oci tests need root (namespaces, mounts, cgroups)"
	command -v podman >/dev/null || skip_or_fail "podman is not installed (make deps)"
	[[ -x ${PODRUN_OCI:-} ]] || { echo "FAIL: PODRUN_OCI not set or not executable"; exit 1; }
}

# An exploded root file system from the host's files: /usr bound read-only
# (merged /usr: bin, lib, lib64, sbin are symlinks into it), a few files of
# /etc copied, empty mount points.
make_rootfs() {
	T=$(mktemp -d /tmp/podrun-oci-test.XXXXXX)
	ROOTFS=$T/rootfs
	STATE=$T/state
	mkdir -p "$ROOTFS"/{usr,etc,tmp,proc,dev,sys,run,root} "$STATE"
	mount --bind /usr "$ROOTFS/usr"
	mount -o remount,bind,ro "$ROOTFS/usr"
	for l in bin lib lib64 sbin; do
		[[ -e /$l ]] && ln -s "usr/$l" "$ROOTFS/$l"
	done
	cp /etc/passwd /etc/group /etc/nsswitch.conf "$ROOTFS/etc/"
	trap cleanup_rootfs EXIT
}

cleanup_rootfs() {
	local rc=$?
	[[ -n ${CLEANUP_HOOK:-} ]] && $CLEANUP_HOOK
	if [[ -n ${T:-} && -d $T ]]; then
		umount "$ROOTFS/usr" 2>/dev/null || umount -l "$ROOTFS/usr" 2>/dev/null
		mountpoint -q "$ROOTFS/usr" || rm -rf "$T"
	fi
	exit $rc
}

# podman limits that fit this runtime's (and runc's) own hard limits
PODMAN_ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

# podman with podrun-oci (state in the runtime's default root: podman's own
# cleanup calls the runtime without --runtime-flag)
pm() {
	podman --runtime "$PODRUN_OCI" "$@"
}
