/*
 * idmap.c — the host id range of a pod: one slot of a fixed block, held by a
 * file lock for as long as the pod can run.
 *
 *   block   host uids and gids PR_IDMAP_BASE ... + PR_IDMAP_SLOTS * 65536 - 1
 *           (0x70000000 ... 0x73ffffff: above the container block systemd
 *           documents for nspawn, below 2^31, never an account of the host)
 *   slot n  base = PR_IDMAP_BASE + n * 65536 (SANDBOX_IDMAP_SPAN); the pod's
 *           worker (inside uid/gid 65534) is host uid/gid base + 65534
 *   lock    /run/podrun/ids/<n>.lock, flock(LOCK_EX) by the runner
 *
 * A slot is taken by the first runner whose non-blocking flock on its file
 * succeeds, and is free again when that descriptor is closed: at teardown,
 * after the pod was reaped (the init of a pid namespace is reaped only once
 * every process of the pod is gone), or by the kernel when the runner dies,
 * SIGKILL included, at the same moment PR_SET_PDEATHSIG takes its pod down.
 * No record is needed and the stale sweep has nothing to do for it. The lock
 * files stay (1024 at most, empty but for the holder's pid).
 *
 * Layer 07 (runner). Builds on libc only; the range goes to 03-sandbox via
 * sandbox_cfg_set_idmap(). Used by podrun_start() and pr_teardown().
 */
#include "internal.h"

#include <sys/file.h>
#include <sys/stat.h>

#define PR_IDMAP_DIR "/run/podrun/ids"

int pr_idmap_acquire(struct podrun *p)
{
	unsigned start;
	char path[64];

	p->box.idmap_base = 0;
	if (geteuid() != 0)
		return 0; /* no range to give without privilege: 03's plain user ns */
	if ((mkdir("/run/podrun", 0700) < 0 && errno != EEXIST) ||
	    (mkdir(PR_IDMAP_DIR, 0700) < 0 && errno != EEXIST)) {
		pr_seterr(p, errno, "pod id range: %s", PR_IDMAP_DIR);
		return -errno;
	}
	/* start where other runners are unlikely to look first */
	start = ((unsigned)getpid() * 2654435761u) % PR_IDMAP_SLOTS;
	for (unsigned i = 0; i < PR_IDMAP_SLOTS; i++) {
		unsigned n = (start + i) % PR_IDMAP_SLOTS;
		int fd;

		snprintf(path, sizeof path, PR_IDMAP_DIR "/%u.lock", n);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			pr_seterr(p, errno, "pod id range: %s", path);
			return -errno;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			if (errno == EWOULDBLOCK || errno == EINTR)
				continue;
			pr_seterr(p, errno, "pod id range: lock %s", path);
			return -errno;
		}
		if (ftruncate(fd, 0) == 0)
			dprintf(fd, "%d\n", (int)getpid());
		p->box.idmap_fd = fd;
		p->box.idmap_base = PR_IDMAP_BASE + n * SANDBOX_IDMAP_SPAN;
		return 0;
	}
	pr_seterr(p, 0, "pod id range: all %u ranges are in use (one per running pod)",
		  PR_IDMAP_SLOTS);
	return -EAGAIN;
}

uid_t pr_pod_host_uid(const struct podrun *p)
{
	if (pr_rootless())
		return (uid_t)-1; /* the runner's own uid: the pod's, mapped to 65534 */
	return p->box.idmap_base ? p->box.idmap_base + PR_POD_UID : PR_POD_UID;
}

void pr_idmap_release(struct podrun *p)
{
	pr_close_fd(&p->box.idmap_fd);
	p->box.idmap_base = 0;
}
