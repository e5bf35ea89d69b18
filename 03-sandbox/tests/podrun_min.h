/*
 * podrun_min.h — test helper of layer 03-sandbox: run the probe in a pod with
 * a standard mount plan and collect its one-line answer and exit status.
 *
 * Layer 03-sandbox, tests and bench. Builds on include/sandbox.h. Used by
 * tests/check_sandbox.c (and by the ad-hoc tool tests/try.c while debugging).
 *
 * Standard pod (what 07-runner would build for a native worker):
 *   /usr ro, /lib /lib64 /bin /sbin -> usr/..., /probe (the static probe, ro),
 *   /proc, /dev, /tmp tmpfs 16 MiB, /data rw bind of a fixture directory,
 *   /ro ro bind of a fixture directory holding "f", /ro/exe ro (an executable).
 */
#ifndef SBX_PODRUN_MIN_H
#define SBX_PODRUN_MIN_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"

struct fixture {
	char rw[64]; /* host dir bound rw at /data */
	char ro[64]; /* host dir bound ro at /ro, holds "f" */
};

struct pod_result {
	int rc;         /* spawn/release result */
	int status;     /* pod exit status (code or 128+signal) */
	char out[4096]; /* the probe's stdout */
	char err[256];  /* spawn/release error text */
};

static inline const char *probe_path(void)
{
	const char *p = getenv("SBX_PROBE");

	return p ? p : "build/tests/probe";
}

static inline int fixture_make(struct fixture *fx)
{
	char path[128];
	int fd;

	snprintf(fx->rw, sizeof(fx->rw), "/tmp/sbx-rw-%d-XXXXXX", (int)getpid());
	snprintf(fx->ro, sizeof(fx->ro), "/tmp/sbx-ro-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(fx->rw) || !mkdtemp(fx->ro))
		return -errno;
	chmod(fx->rw, 0777);
	chmod(fx->ro, 0755);
	snprintf(path, sizeof(path), "%s/f", fx->ro);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0)
		return -errno;
	if (write(fd, "hello\n", 6) != 6) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static inline void fixture_remove(struct fixture *fx)
{
	char cmd[200];

	if (fx->rw[0] && fx->ro[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", fx->rw, fx->ro);
		if (system(cmd) != 0)
			fprintf(stderr, "fixture_remove: %s failed\n", cmd);
	}
}

/* The standard plan; the caller may add entries and change settings. */
static inline sandbox_cfg_t *std_cfg(const struct fixture *fx)
{
	sandbox_cfg_t *c = NULL;
	struct sandbox_limits l;

	if (sandbox_cfg_new(&c) < 0)
		return NULL;
	sandbox_plan_ro(c, "/usr", NULL, 0);
	sandbox_plan_symlink(c, "usr/lib", "/lib");
	sandbox_plan_symlink(c, "usr/lib64", "/lib64");
	sandbox_plan_symlink(c, "usr/bin", "/bin");
	sandbox_plan_symlink(c, "usr/sbin", "/sbin");
	sandbox_plan_ro(c, probe_path(), "/probe", 0);
	sandbox_plan_proc(c, "/proc");
	sandbox_plan_dev(c, "/dev");
	sandbox_plan_tmpfs(c, "/tmp", 16 << 20, 01777);
	if (fx) {
		sandbox_plan_rw(c, fx->rw, "/data", 0);
		sandbox_plan_ro(c, fx->ro, "/ro", 0);
	}
	sandbox_limits_default(&l);
	l.pids_max = 128;
	l.memory_bytes = 256ull << 20;
	if (geteuid() != 0) {
		/* rootless, as 07 runs it for an ordinary user: a user namespace
		 * first, no cgroup (the pids limit becomes RLIMIT_NPROC of the
		 * pod's user namespace), memory files executable (the sysctl
		 * that forbids them is host root's) */
		l.nproc = l.pids_max;
		l.pids_max = 0;
		l.memory_bytes = 0;
		sandbox_cfg_set_namespaces(c, SANDBOX_NS_DEFAULT | SANDBOX_NS_USER);
		sandbox_cfg_set_memfd_exec(c, true);
	}
	sandbox_cfg_set_limits(c, &l);
	return c;
}

/* Set argv to "/probe" + args (NULL-terminated). */
static inline int cfg_probe(sandbox_cfg_t *c, const char *const args[])
{
	const char *argv[16] = { "/probe" };
	int n = 1;

	for (int i = 0; args && args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return sandbox_cfg_set_exec(c, NULL, (char *const *)argv);
}

/* Spawn, release, read stdout to EOF, wait. Frees @c. @sb_out keeps the handle. */
static inline int pod_run(sandbox_cfg_t *c, struct pod_result *r, sandbox_t **sb_out)
{
	struct sandbox_error e = { "" };
	sandbox_t *sb = NULL;
	int p[2];
	size_t len = 0;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return r->rc = -errno;
	sandbox_cfg_add_fd(c, p[1], 1);
	if (getenv("SBX_DEBUG"))
		sandbox_cfg_add_fd(c, 2, 2);
	close(p[1]);
	r->rc = sandbox_spawn(c, &sb, &e);
	if (r->rc == 0)
		r->rc = sandbox_release(sb, &e);
	sandbox_cfg_free(c); /* closes our duplicate of the write end */
	snprintf(r->err, sizeof(r->err), "%s", e.msg);
	while ((n = read(p[0], r->out + len, sizeof(r->out) - 1 - len)) > 0)
		len += (size_t)n;
	r->out[len] = '\0';
	close(p[0]);
	if (sb)
		sandbox_wait(sb, &r->status, 0);
	if (sb_out)
		*sb_out = sb;
	else
		sandbox_destroy(sb);
	return r->rc;
}

#endif
