/*
 * pool.c — warm pools: pods started ahead of time for one policy and worker
 * kind, from which a supervisor takes one per program (podrun_pool_*).
 *
 * A pool pod goes through podrun_start() like any other (policy, rings,
 * control socket, mount plan, network, cgroups, spawn, release), with two
 * differences: the worker's bootstrap (podboot.py for Python, the pod host
 * for C libraries) gets a launch socket at descriptor PR_POD_POOL_FD and waits
 * on it for the program to run, and the timeout is not armed yet. The
 * bootstrap says "ready" (one byte) once the runtime is loaded; a take decides
 * the program against the policy exactly as a fresh start would, then sends
 * "PROGRAM\0ARG\0..." and hands the pod over. A pod is taken once and freed by
 * its taker: no pod ever runs a second program.
 *
 * What a take cannot change is refused with a reason: the pods' plan was made
 * for the template program given to the pool, so a program must be of the
 * same kind and lie in the same directory (shown at /pod/app); a C-library
 * pool runs only its own library (its dependency closure and FFI trust are
 * part of the plan); a policy rule denying the read of the program refuses
 * the take as it refuses a fresh start.
 *
 * One thread per pool starts pods and drives the warm ones (their handshake,
 * their output, their death); the mutex hands a ready pod over to the taker.
 * The pods' init processes are children of that thread (their parent-death
 * signal follows it): podrun_pool_free() ends the warm pods with it, and
 * pods taken from the pool and still running too.
 *
 * Layer 07 (runner). Builds on the runner's own start (lifecycle.c), 04-policy
 * (the read rules of a take) and runtime/ (kinds). Used by the API
 * (include/podrun.h), the `podrun pool` command and the Bun module.
 */
#include "internal.h"
#include "runtime.h"

#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

/* Largest pool, and start failures in a row before the pool stops refilling. */
#define POOL_MAX 64
#define POOL_FAIL_LIMIT 3
/* Largest launch packet (program name and arguments). */
#define POOL_PKT_MAX 65536
/* A refill waits this long after a take: the taken pod's first moments are
 * not spent competing with the start of its replacement. */
#define POOL_REFILL_DELAY_MS 30

struct warm {
	podrun_t *p;
	int fd;    /* runner end of the launch socket */
	int ready; /* the bootstrap said it waits */
};

struct podrun_pool {
	podrun_t *tmpl;   /* configuration of every pod (never started) */
	char tmpl_id[24]; /* its id when made: a changed one means "pod-id" was set */
	unsigned size;
	enum pr_kind kind;
	char prog_abs[PATH_MAX]; /* the template program, resolved */
	char app_host[PATH_MAX]; /* its directory: /pod/app of every pod */
	policy_t *pol;           /* the template's policy, for the take's decisions */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int thread_on;
	int wake_fd; /* eventfd: a take or the end wakes the thread */
	int stop;
	struct warm warm[POOL_MAX];
	unsigned nwarm;
	unsigned fails;     /* start failures in a row */
	uint64_t refill_at; /* no refill before (pr_now_ms()) */
	int broken;         /* POOL_FAIL_LIMIT reached: no more refills */
	int64_t n_started, n_taken, n_lost, n_failed;
	char err[1024]; /* last failure (template, start, take) */
};

static void pool_err(struct podrun_pool *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void pool_err(struct podrun_pool *pl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pl->err, sizeof pl->err, fmt, ap);
	va_end(ap);
}

int podrun_pool_new(podrun_pool_t **out)
{
	struct podrun_pool *pl;

	if (!out)
		return -EINVAL;
	*out = NULL;
	pl = calloc(1, sizeof *pl);
	if (!pl)
		return -ENOMEM;
	if (podrun_new(&pl->tmpl) < 0) {
		free(pl);
		return -ENOMEM;
	}
	memcpy(pl->tmpl_id, pl->tmpl->life.id, sizeof pl->tmpl_id);
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->cv, NULL);
	pl->wake_fd = -1;
	*out = pl;
	return 0;
}

podrun_t *podrun_pool_template(podrun_pool_t *pl)
{
	return pl && !pl->thread_on ? pl->tmpl : NULL;
}

const char *podrun_pool_error(const podrun_pool_t *pl)
{
	return pl ? pl->err : "";
}

/* ---- one pod, configured as the template -------------------------------- */

static int dup_str(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

/* The template's configuration (struct pr_config), its strings copied; the
 * state and resources start fresh (podrun_new), with an id of the pod's own. */
static int clone_config(const struct podrun *tp, struct podrun *p)
{
	const struct pr_config *t = &tp->cfg;
	struct pr_config *c = &p->cfg;
	int ret = 0;

	*c = *t;
	c->program = c->policy_file = c->policy_json = c->audit_path = c->audit_btf = NULL;
	c->debug_ui_addr = NULL;
	c->args = c->flags = NULL;
	c->nargs = c->nflags = 0;
	c->rootfs = NULL; /* (refused for pools: check_template) */
	ret |= dup_str(&c->program, t->program);
	for (size_t i = 0; i < t->nargs; i++)
		ret |= pr_strv_add(&c->args, &c->nargs, t->args[i]);
	ret |= dup_str(&c->policy_file, t->policy_file);
	ret |= dup_str(&c->policy_json, t->policy_json);
	for (size_t i = 0; i < t->nflags; i++)
		ret |= pr_strv_add(&c->flags, &c->nflags, t->flags[i]);
	ret |= dup_str(&c->audit_path, t->audit_path);
	ret |= dup_str(&c->audit_btf, t->audit_btf);
	c->allow_all_ack = 1; /* the template's warning was the pool's (podrun_pool_start) */
	return ret ? -ENOMEM : 0;
}

/* Start one pool pod; on success it is waiting for its "ready". */
static int start_pod(struct podrun_pool *pl, struct warm *w, char *err, size_t cap)
{
	podrun_t *p = NULL;
	int sv[2], ret;

	if (podrun_new(&p) < 0)
		return -ENOMEM;
	ret = clone_config(pl->tmpl, p);
	if (ret < 0) {
		podrun_free(p);
		return ret;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ret = -errno;
		podrun_free(p);
		return ret;
	}
	p->pool.pod_fd = sv[1];
	p->pool.warm = 1;
	ret = podrun_start(p);
	close(sv[1]); /* the sandbox has its own copy (fd PR_POD_POOL_FD) */
	p->pool.pod_fd = -1;
	if (ret < 0) {
		snprintf(err, cap, "%s", podrun_error(p));
		ret = podrun_exit_code(p) == PODRUN_EXIT_USAGE ? -EINVAL : ret;
		close(sv[0]);
		podrun_free(p);
		return ret;
	}
	w->p = p;
	w->fd = sv[0];
	w->ready = 0;
	return 0;
}

static void drop_pod(struct warm *w)
{
	if (w->fd >= 0)
		close(w->fd); /* the bootstrap exits without running anything */
	w->fd = -1;
	podrun_free(w->p);
	w->p = NULL;
}

/* ---- the refill thread ------------------------------------------------- */

static int find_warm(struct podrun_pool *pl, const podrun_t *p)
{
	for (unsigned i = 0; i < pl->nwarm; i++)
		if (pl->warm[i].p == p)
			return (int)i;
	return -1;
}

/* Remove entry @p i (mutex held); the caller frees the pod. */
static struct warm remove_warm(struct podrun_pool *pl, unsigned i)
{
	struct warm w = pl->warm[i];

	pl->warm[i] = pl->warm[--pl->nwarm];
	return w;
}

/* One pass over the warm pods after poll(): drive each, note "ready",
 * remove the dead (mutex held). Returns how many died. */
static unsigned tend(struct podrun_pool *pl, struct pollfd *pfd, podrun_t **snap, unsigned n,
		     struct warm *dead, unsigned *ndead)
{
	unsigned lost = 0;

	for (unsigned k = 0; k < n; k++) {
		int i = find_warm(pl, snap[k]);
		struct warm *w;
		char b;

		if (i < 0)
			continue; /* taken meanwhile: no longer ours */
		w = &pl->warm[i];
		if (pfd[2 * k + 1].revents)
			podrun_dispatch(w->p, 0);
		if (!w->ready && pfd[2 * k + 2].revents) {
			ssize_t r = recv(w->fd, &b, 1, MSG_DONTWAIT);
			if (r == 1 && b == 'R') {
				w->ready = 1;
				pthread_cond_broadcast(&pl->cv);
			} else if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				podrun_stop(w->p,
					    0); /* the bootstrap is gone: the pod is of no use */
			}
		}
		if (podrun_state(w->p) == PODRUN_EXITED || podrun_state(w->p) == PODRUN_FAILED) {
			dead[(*ndead)++] = remove_warm(pl, (unsigned)i);
			lost++;
		}
	}
	return lost;
}

static void *refill_main(void *arg)
{
	struct podrun_pool *pl = arg;
	struct pollfd pfd[1 + 2 * POOL_MAX];
	podrun_t *snap[POOL_MAX];
	struct warm dead[POOL_MAX];
	uint64_t backoff_until = 0;
	sigset_t all;

	/* signals are the embedder's: never taken by this thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		unsigned n, ndead = 0;
		int need, timeout;
		struct warm w;
		char err[sizeof pl->err];
		uint64_t v;

		pthread_mutex_lock(&pl->mu);
		if (pl->stop) {
			pthread_mutex_unlock(&pl->mu);
			break;
		}
		if (backoff_until < pl->refill_at)
			backoff_until = pl->refill_at;
		need = !pl->broken && pl->nwarm < pl->size && pr_now_ms() >= backoff_until;
		pthread_mutex_unlock(&pl->mu);

		if (need) {
			int ret = start_pod(pl, &w, err, sizeof err);
			pthread_mutex_lock(&pl->mu);
			if (ret == 0 && !pl->stop) {
				pl->warm[pl->nwarm++] = w;
				pl->n_started++;
				pl->fails = 0;
			} else if (ret < 0) {
				pl->n_failed++;
				memcpy(pl->err, err, sizeof pl->err);
				backoff_until = pr_now_ms() + 100ull * (1u << pl->fails);
				if (++pl->fails >= POOL_FAIL_LIMIT || ret == -EINVAL)
					pl->broken = 1;
				pthread_cond_broadcast(&pl->cv);
			}
			pthread_mutex_unlock(&pl->mu);
			if (ret == 0 && pl->stop) /* (read without the lock: set once) */
				drop_pod(&w);
		}

		pthread_mutex_lock(&pl->mu);
		n = pl->nwarm;
		pfd[0] = (struct pollfd){ .fd = pl->wake_fd, .events = POLLIN };
		for (unsigned k = 0; k < n; k++) {
			snap[k] = pl->warm[k].p;
			pfd[2 * k + 1] =
			    (struct pollfd){ .fd = podrun_fd(pl->warm[k].p), .events = POLLIN };
			pfd[2 * k + 2] =
			    (struct pollfd){ .fd = pl->warm[k].ready ? -1 : pl->warm[k].fd,
					     .events = POLLIN };
		}
		need = !pl->broken && pl->nwarm < pl->size;
		pthread_mutex_unlock(&pl->mu);

		timeout = need
			      ? (int)(backoff_until > pr_now_ms() ? backoff_until - pr_now_ms() : 0)
			      : 1000;
		if (poll(pfd, 1 + 2 * n, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents && read(pl->wake_fd, &v, sizeof v) < 0)
			v = 0;

		pthread_mutex_lock(&pl->mu);
		pl->n_lost += tend(pl, pfd, snap, n, dead, &ndead);
		pthread_mutex_unlock(&pl->mu);
		for (unsigned k = 0; k < ndead; k++)
			drop_pod(&dead[k]);
	}
	return NULL;
}

/* ---- start ------------------------------------------------------------- */

/* The template's policy, loaded as podrun_start() loads it (the take decides
 * the program's read rules with it). */
static int load_template_policy(struct podrun_pool *pl)
{
	struct pr_config *t = &pl->tmpl->cfg;
	struct pol_error e;
	int ret;

	memset(&e, 0, sizeof e);
	ret = policy_new(&pl->pol);
	if (ret < 0)
		return ret;
	if (t->policy_file)
		ret = policy_load_file(pl->pol, t->policy_file, &e);
	else if (t->policy_json)
		ret =
		    policy_load_json(pl->pol, t->policy_json, strlen(t->policy_json), "<api>", &e);
	for (size_t i = 0; ret >= 0 && i < t->nflags; i++)
		ret = policy_apply_flag(pl->pol, t->flags[i], &e);
	if (ret >= 0)
		ret = policy_finalize(pl->pol, &e);
	if (ret < 0)
		pool_err(pl, "policy: %s", e.msg[0] ? e.msg : strerror(-ret));
	return ret < 0 ? -EINVAL : 0;
}

/* What a pool cannot do as the template says is refused, never ignored. */
static int check_template(struct podrun_pool *pl)
{
	struct pr_config *t = &pl->tmpl->cfg;
	struct stat st;
	char *slash;

	if (!t->program) {
		pool_err(pl, "no program given: the template names a program of the pool's kind "
			     "and directory");
		return -EINVAL;
	}
	pl->kind = (enum pr_kind)rt_kind_of(t->program);
	if (pl->kind != PR_KIND_PYTHON && pl->kind != PR_KIND_CLIB) {
		pool_err(pl,
			 "%s: pools run Python (*.py) and C-library (*.so) workers; start other "
			 "kinds fresh",
			 t->program);
		return -EINVAL;
	}
	if (!realpath(t->program, pl->prog_abs) || stat(pl->prog_abs, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		pool_err(pl, "program %s: %s", t->program, strerror(errno ? errno : EINVAL));
		return -EINVAL;
	}
	snprintf(pl->app_host, sizeof pl->app_host, "%s", pl->prog_abs);
	slash = strrchr(pl->app_host, '/');
	if (slash == pl->app_host)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (t->nargs) {
		pool_err(pl, "arguments come with each take, not with the template");
		return -EINVAL;
	}
	if (t->in_fd >= 0) {
		pool_err(pl,
			 "a pool pod's stdin is empty (podrun_set_stdio in_fd -1): warm pods would "
			 "read a shared descriptor before their take");
		return -EINVAL;
	}
	if (t->rootfs || t->debug_ui || t->handle_signals ||
	    strcmp(pl->tmpl->life.id, pl->tmpl_id) ||
	    (t->audit_path && strcmp(t->audit_path, "-"))) {
		pool_err(
		    pl, "%s",
		    t->rootfs     ? "a pool runs host runtimes: no \"rootfs\""
		    : t->debug_ui ? "no debug UI for pool pods (start the pod fresh to watch it)"
		    : t->handle_signals ? "\"signals\": a pool's signals are its embedder's"
		    : t->audit_path     ? "an audit file is one pod's: use \"-\" (stderr) or events"
					: "\"pod-id\": every pool pod has an id of its own");
		return -EINVAL;
	}
	return 0;
}

int podrun_pool_start(podrun_pool_t *pl, unsigned size)
{
	struct warm w;
	char err[sizeof pl->err];
	int ret;

	if (!pl)
		return -EINVAL;
	if (pl->thread_on || pl->pol)
		return -EBUSY;
	if (size == 0 || size > POOL_MAX) {
		pool_err(pl, "pool size %u: 1 to %d pods", size, POOL_MAX);
		return -EINVAL;
	}
	pl->size = size;
	ret = check_template(pl);
	if (ret >= 0)
		ret = load_template_policy(pl);
	if (ret < 0)
		return ret;
	if (pl->tmpl->cfg.allow_all && !pl->tmpl->cfg.allow_all_ack)
		dprintf(2, "podrun: WARNING: --allow-all: every category is allowed; use for tests "
			   "and debugging only\n");
	pl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pl->wake_fd < 0)
		return -errno;
	/* the first pod in this thread: a policy or setup error is the caller's now */
	ret = start_pod(pl, &w, err, sizeof err);
	if (ret < 0) {
		pool_err(pl, "%s", err);
		return ret;
	}
	pl->warm[pl->nwarm++] = w;
	pl->n_started++;
	ret = pthread_create(&pl->thread, NULL, refill_main, pl);
	if (ret) {
		pool_err(pl, "pool thread: %s", strerror(ret));
		return -ret;
	}
	pl->thread_on = 1;
	return 0;
}

/* ---- take -------------------------------------------------------------- */

static int is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Decide @p program as a fresh start of it would, against what the pods'
 * plan covers; @p abs receives it resolved. -EINVAL with the reason. */
static int check_program(struct podrun_pool *pl, const char *program, char abs[PATH_MAX])
{
	char path[PATH_MAX];
	const struct pol_rule *r;
	struct stat st;
	size_t n, dl = strlen(pl->app_host);

	if (!program || !*program) {
		pool_err(pl, "no program given");
		return -EINVAL;
	}
	if (!strchr(program, '/')) {
		/* a bare name: found in PATH as a fresh start finds it */
		static const char *const dirs[] = { "/usr/local/bin", "/usr/bin", "/bin" };
		size_t i;
		for (i = 0; i < 3; i++) {
			snprintf(path, sizeof path, "%s/%s", dirs[i], program);
			if (access(path, X_OK) == 0)
				break;
		}
		if (i == 3) {
			pool_err(pl, "program %s: not found in " POL_DEFAULT_PATH, program);
			return -EINVAL;
		}
		program = path;
		if (!realpath(program, abs))
			abs[0] = '\0';
	} else if (!realpath(program, abs)) {
		abs[0] = '\0';
	}
	errno = 0;
	if (!abs[0] || stat(abs, &st) < 0 || !S_ISREG(st.st_mode)) {
		pool_err(pl, "program %s: %s", program,
			 errno ? strerror(errno) : "not a regular file");
		return -EINVAL;
	}
	if ((enum pr_kind)rt_kind_of(program) != pl->kind) {
		pool_err(pl, "%s is a %s worker; this pool runs %s workers", program,
			 rt_kind_name(rt_kind_of(program)), rt_kind_name((enum rt_kind)pl->kind));
		return -EINVAL;
	}
	if (strncmp(abs, pl->app_host, dl) || abs[dl == 1 ? 0 : dl] != '/' ||
	    strchr(abs + dl + (dl == 1 ? 0 : 1), '/')) {
		pool_err(pl,
			 "%s is not in %s, the directory the pool's pods show at " RT_POD_APP
			 ": start it fresh, or use a pool made for its directory",
			 program, pl->app_host);
		return -EINVAL;
	}
	if (pl->kind == PR_KIND_CLIB && strcmp(abs, pl->prog_abs)) {
		pool_err(
		    pl,
		    "%s: a C-library pool runs the library it was made for (%s): its dependencies "
		    "and FFI trust are part of the pods' plan",
		    program, pl->prog_abs);
		return -EINVAL;
	}
	/* the read rules of the program itself, as the start's plan has them */
	if (policy_rules(pl->pol, POL_FS_READ, &r, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (r[i].action == POL_DENY && r[i].pattern && r[i].pattern[0] == '/' &&
			    is_under(abs, r[i].pattern)) {
				pool_err(
				    pl,
				    "--deny-read=%s covers the worker %s: the pod could not read "
				    "its "
				    "own program; move the worker out of %s or narrow the rule",
				    r[i].pattern, abs, r[i].pattern);
				return -EINVAL;
			}
	return 0;
}

/* Wait (mutex held) for a ready pod; its index, or a negative errno. */
static int wait_ready(struct podrun_pool *pl, int timeout_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	if (timeout_ms > 0) {
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	for (;;) {
		for (unsigned i = 0; i < pl->nwarm; i++)
			if (pl->warm[i].ready && podrun_state(pl->warm[i].p) == PODRUN_RUNNING)
				return (int)i;
		if (pl->broken && pl->nwarm == 0)
			return -EIO;
		if (timeout_ms == 0)
			return -EAGAIN;
		if (timeout_ms < 0)
			pthread_cond_wait(&pl->cv, &pl->mu);
		else if (pthread_cond_timedwait(&pl->cv, &pl->mu, &until) == ETIMEDOUT)
			return -ETIMEDOUT;
	}
}

/* Hand the pod its program: the launch packet, then the pod's own clock. */
static int launch(struct warm *w, const char *abs, const char *const *args)
{
	static __thread char pkt[POOL_PKT_MAX];
	const char *name = strrchr(abs, '/') + 1;
	struct podrun *p = w->p;
	size_t len = 0, l;

	l = strlen(name) + 1;
	memcpy(pkt, name, l);
	len = l;
	for (size_t i = 0; args && args[i]; i++) {
		l = strlen(args[i]) + 1;
		if (len + l > sizeof pkt)
			return -E2BIG;
		memcpy(pkt + len, args[i], l);
		len += l;
	}
	/* the pod is now this program's (names in logs and podrun_error()) */
	free(p->cfg.program);
	free(p->life.prog_abs);
	p->cfg.program = strdup(abs);
	p->life.prog_abs = strdup(abs);
	pr_strv_free(p->cfg.args, p->cfg.nargs);
	p->cfg.args = NULL;
	p->cfg.nargs = 0;
	for (size_t i = 0; args && args[i]; i++)
		pr_strv_add(&p->cfg.args, &p->cfg.nargs, args[i]);
	if (send(w->fd, pkt, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -EPIPE;
	close(w->fd);
	w->fd = -1;
	p->pool.warm = 0;
	p->life.t_start_ms = pr_now_ms();
	p->life.t_start_us = pr_now_us();
	if (p->cfg.timeout_s)
		pr_arm_timer(p->life.t_timeout, (uint64_t)p->cfg.timeout_s * 1000, 0);
	return 0;
}

int podrun_pool_take(podrun_pool_t *pl, const char *program, const char *const *args,
		     int timeout_ms, podrun_t **out)
{
	char abs[PATH_MAX];
	uint64_t one = 1;
	int ret;

	if (!pl || !out)
		return -EINVAL;
	*out = NULL;
	if (!pl->thread_on)
		return -EBADFD;
	if (args) {
		size_t n = 0;
		while (args[n])
			if (++n > 4096)
				return -E2BIG;
	}
	ret = check_program(pl, program, abs);
	if (ret < 0)
		return ret;
	for (;;) {
		struct warm w;

		pthread_mutex_lock(&pl->mu);
		ret = wait_ready(pl, timeout_ms);
		if (ret >= 0) {
			w = remove_warm(pl, (unsigned)ret);
			pl->n_taken++;
			pl->refill_at = pr_now_ms() + POOL_REFILL_DELAY_MS;
		} else if (ret == -EIO) {
			/* pl->err says why the pool stopped refilling */
		} else {
			pool_err(pl, "no warm pod ready%s", ret == -ETIMEDOUT ? " in time" : "");
		}
		pthread_mutex_unlock(&pl->mu);
		if (ret < 0)
			return ret;
		if (write(pl->wake_fd, &one, sizeof one) < 0) /* refill */
			ret = 0;
		ret = launch(&w, abs, args);
		if (ret == 0) {
			*out = w.p;
			return 0;
		}
		drop_pod(&w); /* died just now: never reused; try the next one */
		if (ret == -E2BIG) {
			pool_err(pl, "arguments longer than %d bytes", POOL_PKT_MAX);
			return ret;
		}
	}
}

int podrun_pool_ready(const podrun_pool_t *cpl)
{
	struct podrun_pool *pl = (struct podrun_pool *)cpl;
	int n = 0;

	if (!pl)
		return -EINVAL;
	pthread_mutex_lock(&pl->mu);
	for (unsigned i = 0; i < pl->nwarm; i++)
		n += pl->warm[i].ready;
	pthread_mutex_unlock(&pl->mu);
	return n;
}

int64_t podrun_pool_count(const podrun_pool_t *cpl, const char *what)
{
	struct podrun_pool *pl = (struct podrun_pool *)cpl;
	int64_t v;

	if (!pl || !what)
		return -EINVAL;
	pthread_mutex_lock(&pl->mu);
	v = !strcmp(what, "started")  ? pl->n_started
	    : !strcmp(what, "taken")  ? pl->n_taken
	    : !strcmp(what, "lost")   ? pl->n_lost
	    : !strcmp(what, "failed") ? pl->n_failed
				      : -EINVAL;
	pthread_mutex_unlock(&pl->mu);
	return v;
}

void podrun_pool_free(podrun_pool_t *pl)
{
	uint64_t one = 1;

	if (!pl)
		return;
	if (pl->thread_on) {
		pthread_mutex_lock(&pl->mu);
		pl->stop = 1;
		pthread_mutex_unlock(&pl->mu);
		if (write(pl->wake_fd, &one, sizeof one) < 0)
			one = 0;
		pthread_join(pl->thread, NULL);
	}
	/* warm pods: the launch socket closes (the bootstrap exits), then the
	 * usual free (stop, grace, kill, every resource removed) */
	for (unsigned i = 0; i < pl->nwarm; i++)
		if (pl->warm[i].fd >= 0) {
			close(pl->warm[i].fd);
			pl->warm[i].fd = -1;
		}
	for (unsigned i = 0; i < pl->nwarm; i++)
		drop_pod(&pl->warm[i]);
	pl->nwarm = 0;
	if (pl->wake_fd >= 0)
		close(pl->wake_fd);
	policy_free(pl->pol);
	podrun_free(pl->tmpl);
	pthread_cond_destroy(&pl->cv);
	pthread_mutex_destroy(&pl->mu);
	free(pl);
}
