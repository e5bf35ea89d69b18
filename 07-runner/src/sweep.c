/*
 * sweep.c — what a runner killed with SIGKILL leaves behind, and its removal.
 *
 * A runner that dies at once cannot clean up. The kernel removes most of a
 * pod by itself: PR_SET_PDEATHSIG kills the pod's init, which takes the pid
 * namespace down; the netns (and the veth pair inside it), the mount
 * namespace, BPF links held by the runner's descriptors and the unlinked shm
 * all vanish with their last reference. What stays is named in the file
 * system: the control socket directory, the pod's cgroups, the resolv.conf
 * file. Each runner records those names in <run dir>/<pod>.owner together
 * with its own pid and start time; the next podrun_start() removes the
 * objects of every record whose runner is gone (pid dead, or reused by a
 * process with another start time). The run directory is /run/podrun with
 * root; an ordinary user's runner keeps its records (and its resolv.conf and
 * mask files) in a directory of its own, podrun-<uid> under its socket base
 * ($XDG_RUNTIME_DIR or /tmp), and sweeps only what its own records name.
 *
 * Layer 07 (runner). Builds on libc only (and 03-sandbox's info for the
 * cgroup paths). Used by podrun_start() and pr_teardown().
 */
#include "internal.h"

#include <dirent.h>
#include <sys/stat.h>

#define PR_RUN_DIR "/run/podrun"

/*
 * The run directory into @p out (see above), made 0700 if missing. Rootless,
 * a directory that is a link, another user's or open to others is refused
 * (a name in /tmp is anybody's to take first): no records, no sweep.
 * @return 0, or -errno.
 */
int pr_run_dir(char *out, size_t cap)
{
	struct stat st;

	if (!pr_rootless()) {
		snprintf(out, cap, PR_RUN_DIR);
		return mkdir(out, 0700) < 0 && errno != EEXIST ? -errno : 0;
	}
	if (snprintf(out, cap, "%s/podrun-%u", pr_rootless_ipc_base(), (unsigned)geteuid()) >=
	    (int)cap)
		return -ENAMETOOLONG;
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(out, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
static unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *s;
	unsigned long long st = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	s = strrchr(buf, ')'); /* comm may hold spaces and parens */
	if (!s)
		return 0;
	for (field = 2; *s && field < 22; s++)
		if (*s == ' ')
			field++;
	sscanf(s, "%llu", &st);
	return st;
}

/*
 * The path of one of the runner's files of this pod, <run dir>/<pod id>.@p kind
 * (resolv, maskf, maskd). Rootless without a run directory of its own, the
 * file goes next to the socket directory as <base>/podrun-<pod id>.@p kind,
 * which no sweep knows (said at start). @return 0, or -ENAMETOOLONG.
 */
int pr_run_file(const struct podrun *p, const char *kind, char *out, size_t cap)
{
	char dir[200];
	int n;

	if (pr_run_dir(dir, sizeof dir) == 0)
		n = snprintf(out, cap, "%s/%s.%s", dir, p->life.id, kind);
	else
		n = snprintf(out, cap, "%s/podrun-%s.%s", pr_rootless_ipc_base(), p->life.id, kind);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int pr_registry_write(struct podrun *p)
{
	char tmp[300], dir[200];
	FILE *f;
	const struct sandbox_info *si;

	if (pr_run_dir(dir, sizeof dir) < 0)
		return 0; /* no run directory: no sweep records (said at start) */
	snprintf(p->life.registry, sizeof p->life.registry, "%s/%s.owner", dir, p->life.id);
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", p->life.registry, (int)getpid());
	f = fopen(tmp, "we");
	if (!f) {
		p->life.registry[0] = '\0';
		return 0;
	}
	fprintf(f, "runner %d %llu\n", (int)getpid(), proc_start_time(getpid()));
	/* (cgroups: remembered in p->box.cgroups so that teardown can check them) */
	if (p->ipc.runner)
		fprintf(f, "dir %s\n", ipc_runner_dir(p->ipc.runner));
	else if (p->ipc.planned_dir[0])
		fprintf(f, "dir %s\n", p->ipc.planned_dir);
	if (p->net.resolv_path[0])
		fprintf(f, "file %s\n", p->net.resolv_path);
	if (p->net.podnet) /* (a name only: the pair dies with the pod's netns) */
		fprintf(f, "veth %s\n", podnet_ifname(p->net.podnet));
	if (p->box.mask_file[0])
		fprintf(f, "file %s\n", p->box.mask_file);
	if (p->box.mask_dir[0])
		fprintf(f, "rmdir %s\n", p->box.mask_dir);
	if (p->box.sb && (si = sandbox_get_info(p->box.sb))) {
		snprintf(p->box.cgroups[0], sizeof p->box.cgroups[0], "%s", si->cgroup_v2);
		snprintf(p->box.cgroups[1], sizeof p->box.cgroups[1], "%s", si->cgroup_v1_memory);
		snprintf(p->box.cgroups[2], sizeof p->box.cgroups[2], "%s", si->cgroup_v1_pids);
		snprintf(p->box.cgroups[3], sizeof p->box.cgroups[3], "%s", si->cgroup_v1_cpu);
	}
	for (int i = 0; i < 4; i++)
		if (p->box.cgroups[i][0])
			fprintf(f, "cgroup %s\n", p->box.cgroups[i]);
	if (fclose(f) != 0) {
		unlink(tmp);
		p->life.registry[0] = '\0';
		return 0;
	}
	if (!p->life.registry_ours) {
		/* The first record: link() fails when the name exists, i.e. a live
		 * runner's pod has this id (a dead one's record was swept before). */
		int err = link(tmp, p->life.registry) < 0 ? errno : 0;

		unlink(tmp);
		if (err) {
			p->life.registry[0] = '\0';
			return err == EEXIST ? -EEXIST : 0;
		}
		p->life.registry_ours = 1;
	} else if (rename(tmp, p->life.registry) < 0) {
		unlink(tmp);
		p->life.registry[0] = '\0';
	}
	return 0;
}

void pr_registry_remove(struct podrun *p)
{
	if (p->life.registry[0]) {
		unlink(p->life.registry);
		p->life.registry[0] = '\0';
	}
}

/* Remove a socket directory: its entries (sockets only, no recursion). */
static void remove_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[1024], where[128];

	/* only where this runner's 02-ipc creates them */
	snprintf(where, sizeof where, "%s/ipc-",
		 pr_rootless() ? pr_rootless_ipc_base() : "/run/pod");
	if (strncmp(dir, where, strlen(where)) || strstr(dir, "/.."))
		return;
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/*
 * A cgroup of a dead pod: kill what is left in it, then remove it, retried for
 * up to @p wait_ms (03's sandbox_cgroup_remove()). Only under /sys/fs/cgroup.
 * @return 0 when the cgroup is gone.
 */
int pr_remove_cgroup(const char *dir, int wait_ms)
{
	if (strncmp(dir, "/sys/fs/cgroup/", 15) || strstr(dir, "/../"))
		return -EINVAL;
	return sandbox_cgroup_remove(dir, wait_ms);
}

/*
 * The runner's files of a pod are all named <run dir>/<pod id>.*: the
 * resolv.conf file, the stand-ins of masked paths, a record being rewritten.
 * A runner killed after making one and before rewriting its record leaves a
 * file the record does not name: remove them all with the record.
 */
static void sweep_siblings(const char *record)
{
	static const char *const kinds[] = { "resolv", "maskf" };
	const char *base = strrchr(record, '/') + 1, *dot = strrchr(base, '.');
	int dlen = (int)(base - record), ilen;
	char path[600], tmp_prefix[64];
	struct dirent *e;
	DIR *d;

	if (!dot || strcmp(dot, ".owner"))
		return;
	ilen = (int)(dot - base);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		snprintf(path, sizeof path, "%.*s%.*s.%s", dlen, record, ilen, base, kinds[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%.*s%.*s.maskd", dlen, record, ilen, base);
	rmdir(path);
	/* records being written: <pod id>.owner.<runner pid>.tmp */
	snprintf(tmp_prefix, sizeof tmp_prefix, "%.*s.owner.", ilen, base);
	snprintf(path, sizeof path, "%.*s", dlen, record);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (!strncmp(e->d_name, tmp_prefix, strlen(tmp_prefix)) && n > 4 &&
		    !strcmp(e->d_name + n - 4, ".tmp")) {
			snprintf(path, sizeof path, "%.*s%s", dlen, record, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/*
 * A record names only its own pod's cgroups: sbx-<the record's pod id>. (A
 * rootless run directory can be within a pod's reach when a rule lets the
 * pod write /tmp; a record it forged must not make the sweep empty another
 * cgroup of the user's.)
 */
static int own_cgroup(const char *record, const char *cg)
{
	const char *base = strrchr(record, '/') + 1, *dot = strrchr(base, '.');
	const char *leaf = strrchr(cg, '/');

	return dot && leaf && !strncmp(leaf + 1, "sbx-", 4) &&
	       strlen(leaf + 5) == (size_t)(dot - base) && !strncmp(leaf + 5, base, dot - base);
}

static void sweep_one(struct podrun *p, const char *dir, const char *record)
{
	char line[600], what[16], arg[512];
	int pid = 0, in_dir;
	unsigned long long start = 0;
	size_t dlen = strlen(dir);
	FILE *f = fopen(record, "re");

	if (!f)
		return;
	if (!fgets(line, sizeof line, f) || sscanf(line, "runner %d %llu", &pid, &start) != 2 ||
	    pid <= 0) {
		fclose(f);
		return;
	}
	if (kill(pid, 0) == 0 || errno == EPERM) {
		if (proc_start_time(pid) == start) {
			fclose(f);
			return; /* its runner is alive */
		}
	}
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%15s %511[^\n]", what, arg) != 2)
			continue;
		/* files: only the run directory's own entries */
		in_dir =
		    !strncmp(arg, dir, dlen) && arg[dlen] == '/' && !strchr(arg + dlen + 1, '/');
		if (!strcmp(what, "dir"))
			remove_dir(arg);
		else if (!strcmp(what, "cgroup") && own_cgroup(record, arg))
			pr_remove_cgroup(arg, 1000);
		else if (!strcmp(what, "file") && in_dir)
			unlink(arg);
		else if (!strcmp(what, "rmdir") && in_dir)
			rmdir(arg);
		/* veth: went with the pod's netns (deleting one end removes the pair) */
	}
	fclose(f);
	sweep_siblings(record);
	unlink(record);
	if (p->cfg.verbosity >= PODRUN_VERBOSE)
		dprintf(2, "podrun: removed leftovers of a dead runner (%s)\n", record);
}

void pr_sweep_stale(struct podrun *p)
{
	DIR *d;
	struct dirent *e;
	char dir[200], path[1024];
	size_t n;

	if (pr_run_dir(dir, sizeof dir) < 0 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		n = strlen(e->d_name);
		if (n < 7 || strcmp(e->d_name + n - 6, ".owner"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		sweep_one(p, dir, path);
	}
	closedir(d);
}
