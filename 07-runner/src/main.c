/*
 * main.c — the `podrun` command (docs/contracts.md, "Command line"): a thin client of the
 * podrun library (include/podrun.h). It turns the command line into podrun_*
 * configuration calls, starts the pod, runs the runner's event loop until the
 * pod has ended, and exits with the pod's status.
 *
 * Layer 07 (runner). Builds on libpodrun only: the CLI has no code path of its
 * own beyond argument parsing, so embedders get exactly what podrun does.
 *
 *   podrun run [OPTIONS] [--] PROGRAM [ARGS...]
 *   podrun pool [--size N] [OPTIONS] [--] PROGRAM     (warm pool, pool_cli.c)
 *   podrun learn --out POLICY.json [--merge] [--group-at N] [OPTIONS] [--] PROGRAM [ARGS...]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podrun.h"

static void usage(FILE *f)
{
	fputs("usage: podrun run [OPTIONS] [--] PROGRAM [ARGS...]\n"
	      "       podrun pool [--size N] [OPTIONS] [--] PROGRAM   (warm pool: program lines on "
	      "stdin)\n"
	      "       podrun learn --out POLICY.json [--merge] [--group-at N] [OPTIONS] [--] "
	      "PROGRAM [ARGS...]\n"
	      "\n"
	      "PROGRAM: *.py (Python), *.js|*.ts|*.mjs (Bun), *.so (C-lib, service mode),\n"
	      "         any other executable (native).\n"
	      "options:\n"
	      "  --policy FILE                JSON policy; flags below apply on top of it\n"
	      "  --allow-net[=LIST] --deny-net=LIST --warn-net=LIST      hosts, host:port, *.dom, "
	      "IP, CIDR\n"
	      "  --allow-read[=LIST] --allow-write[=LIST] (deny-/warn- too)  paths\n"
	      "  --allow-run[=LIST] --allow-env[=LIST] --allow-ffi[=LIST] (deny-/warn- too)\n"
	      "  --allow-all                  allow everything (tests and debugging only)\n"
	      "  --audit FILE                 audit events as JSON lines (- = stderr), with eBPF\n"
	      "  --audit-best-effort          run without eBPF when it cannot start\n"
	      "  --audit-level LEVEL          eBPF with --audit: counters | detailed (default) | "
	      "all\n"
	      "  --audit-max BYTES[k|m|g]     audit size cap (default 64m; unlimited); then counts "
	      "only\n"
	      "  --timeout SECONDS            stop the pod after this wall time (exit 124)\n"
	      "  --memory BYTES[k|m|g]        memory of the pod (default 1g; unlimited)\n"
	      "  --pids N                     tasks of the pod (default 512; unlimited)\n"
	      "  --cpu CPUS|N%                CPU quota (default 2 CPUs; unlimited)\n"
	      "  --nofile N                   open files of the worker (default 1024)\n"
	      "  --ipc-rate N                 control messages per second of the pod (default "
	      "10000)\n"
	      "  --fsize BYTES[k|m|g]         largest file the worker writes (default 256m; "
	      "unlimited)\n"
	      "  --grace MS                   STOP grace period before SIGKILL (default 2000)\n"
	      "  --serve                      service mode: stdin lines <-> messages (implied for "
	      "*.so)\n"
	      "  --debug-ui[=ADDR:PORT]       serve the debug page (loopback by default)\n"
	      "  --shadow-policy FILE         also decide every request by FILE; differences are "
	      "audited\n"
	      "  -q / -v                      quieter / more verbose log on stderr\n"
	      "learn: run with every request the policy (the base, default deny-all) would deny\n"
	      "  allowed and reported, then write the policy the run needed:\n"
	      "  --out FILE                   the learned policy (JSON, with \"_learned\")\n"
	      "  --merge                      add this run to the learned policy already in --out\n"
	      "  --group-at N                 N paths under one directory: learn the directory "
	      "(default 8)\n"
	      "exit status: the worker's; 128+N on signal N; 124 timeout; 125 runner failure;\n"
	      "             2 usage or policy error\n",
	      f);
}

static int parse_u64(const char *s, uint64_t *out, int allow_suffix)
{
	char *end = NULL;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (allow_suffix && *end) {
		switch (*end) {
		case 'k':
		case 'K':
			mul = 1ull << 10;
			break;
		case 'm':
		case 'M':
			mul = 1ull << 20;
			break;
		case 'g':
		case 'G':
			mul = 1ull << 30;
			break;
		default:
			return -EINVAL;
		}
		end++;
	}
	if (*end || (mul > 1 && v > UINT64_MAX / mul))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static int usage_error(const char *fmt, const char *what)
{
	fputs("podrun: ", stderr);
	fprintf(stderr, fmt, what);
	fputs("\n(try podrun --help)\n", stderr);
	return PODRUN_EXIT_USAGE;
}

/* Options with a value of their own; policy flags (--allow-*, --deny-*,
 * --warn-*) are one entry each, handed to podrun_add_policy_flag(). */
enum {
	O_POLICY = 256,
	O_AUDIT,
	O_AUDIT_BEST_EFFORT,
	O_AUDIT_LEVEL,
	O_AUDIT_MAX,
	O_TIMEOUT,
	O_MEMORY,
	O_PIDS,
	O_CPU,
	O_NOFILE,
	O_FSIZE,
	O_IPC_RATE,
	O_GRACE,
	O_SERVE,
	O_DEBUG_UI,
	O_POLICY_FLAG,
	O_SHADOW,
	O_OUT,
	O_MERGE,
	O_GROUP_AT,
};

#define POLICY_FLAGS(verb, arg)                                                                    \
	{ .name = verb "-net", .has_arg = arg, .val = O_POLICY_FLAG },                             \
	    { .name = verb "-read", .has_arg = arg, .val = O_POLICY_FLAG },                        \
	    { .name = verb "-write", .has_arg = arg, .val = O_POLICY_FLAG },                       \
	    { .name = verb "-run", .has_arg = arg, .val = O_POLICY_FLAG },                         \
	    { .name = verb "-env", .has_arg = arg, .val = O_POLICY_FLAG },                         \
	{                                                                                          \
		.name = verb "-ffi", .has_arg = arg, .val = O_POLICY_FLAG                          \
	}

static const struct option options[] = {
	{ .name = "policy", .has_arg = required_argument, .val = O_POLICY },
	{ .name = "audit", .has_arg = required_argument, .val = O_AUDIT },
	{ .name = "audit-best-effort", .has_arg = no_argument, .val = O_AUDIT_BEST_EFFORT },
	{ .name = "audit-level", .has_arg = required_argument, .val = O_AUDIT_LEVEL },
	{ .name = "audit-max", .has_arg = required_argument, .val = O_AUDIT_MAX },
	{ .name = "timeout", .has_arg = required_argument, .val = O_TIMEOUT },
	{ .name = "memory", .has_arg = required_argument, .val = O_MEMORY },
	{ .name = "pids", .has_arg = required_argument, .val = O_PIDS },
	{ .name = "cpu", .has_arg = required_argument, .val = O_CPU },
	{ .name = "nofile", .has_arg = required_argument, .val = O_NOFILE },
	{ .name = "fsize", .has_arg = required_argument, .val = O_FSIZE },
	{ .name = "ipc-rate", .has_arg = required_argument, .val = O_IPC_RATE },
	{ .name = "grace", .has_arg = required_argument, .val = O_GRACE },
	{ .name = "serve", .has_arg = no_argument, .val = O_SERVE },
	{ .name = "debug-ui", .has_arg = optional_argument, .val = O_DEBUG_UI },
	{ .name = "shadow-policy", .has_arg = required_argument, .val = O_SHADOW },
	{ .name = "out", .has_arg = required_argument, .val = O_OUT },
	{ .name = "merge", .has_arg = no_argument, .val = O_MERGE },
	{ .name = "group-at", .has_arg = required_argument, .val = O_GROUP_AT },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = "allow-all", .has_arg = no_argument, .val = O_POLICY_FLAG },
	POLICY_FLAGS("allow", optional_argument),
	POLICY_FLAGS("deny", required_argument),
	POLICY_FLAGS("warn", required_argument),
	{ 0 },
};

/* Limits of the command line, applied with podrun_set_limits() at the end;
 * and what `podrun learn` writes. */
struct cli_limits {
	uint64_t timeout, memory, pids;
	int learn, merge;
	const char *out;
};

/* One option with its value (NULL when it has none). @return 0 or an exit status. */
static int apply(podrun_t *pod, const struct option *o, int id, const char *v, struct cli_limits *l)
{
	char flag[4096];
	uint64_t n;

	switch (id) {
	case O_POLICY:
		return podrun_set_policy_file(pod, v) ? usage_error("%s needs a file", "--policy")
						      : 0;
	case O_AUDIT:
		return !*v || podrun_set_audit(pod, v)
			   ? usage_error("%s needs a file (or -)", "--audit")
			   : 0;
	case O_AUDIT_BEST_EFFORT:
		return podrun_set_option(pod, "audit-best-effort", "1");
	case O_AUDIT_LEVEL:
		if (podrun_set_option(pod, "audit-level", v))
			return usage_error("--audit-level needs counters, detailed or all, not %s",
					   v);
		return 0;
	case O_TIMEOUT:
		if (parse_u64(v, &l->timeout, 0) || l->timeout == 0 || l->timeout > UINT32_MAX)
			return usage_error("--timeout needs a positive number of seconds, not %s",
					   v);
		return 0;
	case O_MEMORY:
		if (!strcmp(v, "unlimited"))
			l->memory = UINT64_MAX;
		else if (parse_u64(v, &l->memory, 1) || l->memory == 0)
			return usage_error("--memory needs BYTES[k|m|g] or unlimited, not %s", v);
		return 0;
	case O_PIDS:
		if (!strcmp(v, "unlimited"))
			l->pids = UINT32_MAX;
		else if (parse_u64(v, &l->pids, 0) || l->pids == 0 || l->pids >= UINT32_MAX)
			return usage_error("--pids needs a positive number or unlimited, not %s",
					   v);
		return 0;
	case O_GRACE:
		if (parse_u64(v, &n, 0) || podrun_set_option(pod, "grace-ms", v))
			return usage_error("--grace needs milliseconds, not %s", v);
		return 0;
	case O_AUDIT_MAX:
	case O_CPU:
	case O_NOFILE:
	case O_FSIZE:
	case O_IPC_RATE:
		if (podrun_set_option(pod, o->name, v))
			return usage_error("bad value for this option: %s", v);
		return 0;
	case O_SERVE:
		return podrun_set_serve(pod, 1);
	case O_DEBUG_UI:
		if (podrun_set_option(pod, "debug-ui", v ? v : "") == -ENOTSUP)
			return usage_error("%s", podrun_error(pod));
		return 0;
	case O_SHADOW:
		return podrun_set_option(pod, "shadow-policy", v)
			   ? usage_error("%s needs a file", "--shadow-policy")
			   : 0;
	case O_OUT:
	case O_MERGE:
	case O_GROUP_AT:
		if (!l->learn)
			return usage_error("--%s is an option of podrun learn", o->name);
		if (id == O_OUT)
			l->out = v;
		else if (id == O_MERGE)
			l->merge = 1;
		else if (podrun_set_option(pod, "learn-group-at", v))
			return usage_error("--group-at needs a number of paths (2 or more), not %s",
					   v);
		return 0;
	case O_POLICY_FLAG:
		snprintf(flag, sizeof flag, "--%s%s%s", o->name, v ? "=" : "", v ? v : "");
		return podrun_add_policy_flag(pod, flag) < 0 ? usage_error("%s", podrun_error(pod))
							     : 0;
	default:
		return 0;
	}
}

/* Parse "podrun run|learn ..." options into @p pod. @return 0, or an exit status. */
static int parse_args(podrun_t *pod, int argc, char **argv, struct cli_limits *learn)
{
	struct cli_limits lim = { .learn = !strcmp(argv[1], "learn") };
	int c, idx, verbosity = PODRUN_NORMAL, ret;

	/* "run" is argv[0] of the option parser; stop at the first non-option */
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qvh", options, &idx)) != -1) {
		switch (c) {
		case 'q':
			verbosity--;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case '?':
		case ':':
			return usage_error(optopt && optopt < 256
					       ? "unknown option or missing value: %s"
					       : "unknown option or bad value: %s",
					   argv[optind - 1]);
		default:
			ret = apply(pod, &options[idx], c, optarg, &lim);
			if (ret)
				return ret;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no PROGRAM given");
	if (lim.learn && !lim.out)
		return usage_error("%s", "podrun learn needs --out POLICY.json");
	if (lim.learn)
		podrun_set_option(pod, "learn", "1");
	*learn = lim;
	if (podrun_set_program(pod, argv[optind]) < 0)
		return usage_error("bad PROGRAM %s", argv[optind]);
	for (int i = optind + 1; i < argc; i++)
		if (podrun_add_arg(pod, argv[i]) < 0)
			return usage_error("%s", "too many arguments");
	podrun_set_limits(pod, (uint32_t)lim.timeout, lim.memory,
			  lim.pids == UINT32_MAX ? UINT32_MAX : (uint32_t)lim.pids);
	podrun_set_verbosity(pod, verbosity);
	return 0;
}

/* pool_cli.c: the warm-pool server loop of "podrun pool". */
int pool_cli_main(podrun_pool_t *pool, unsigned size);

/* "podrun pool [--size N] [OPTIONS] [--] PROGRAM": the run options describe
 * the template pod; --size is the pool's own. */
static int pool_main(int argc, char **argv)
{
	podrun_pool_t *pool = NULL;
	podrun_t *t;
	uint64_t size = 2;
	int status, n;

	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++) {
		const char *v = NULL;
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			v = argv[i + 1], n = 2;
		else if (!strncmp(argv[i], "--size=", 7))
			v = argv[i] + 7, n = 1;
		if (!v)
			continue;
		if (parse_u64(v, &size, 0) || size == 0 || size > 64)
			return usage_error("--size needs 1 to 64 pods, not %s", v);
		memmove(argv + i, argv + i + n, (size_t)(argc - i - n + 1) * sizeof *argv);
		argc -= n;
		i--;
	}
	if (podrun_pool_new(&pool) < 0) {
		fputs("podrun: out of memory\n", stderr);
		return PODRUN_EXIT_RUNNER;
	}
	t = podrun_pool_template(pool);
	/* stdout carries the pool's status lines only: the pods write to stderr */
	podrun_set_stdio(t, -1, 2, 2);
	status = parse_args(t, argc, argv, &(struct cli_limits){ 0 });
	if (!status)
		status = pool_cli_main(pool, (unsigned)size);
	podrun_pool_free(pool);
	return status;
}

/* Read a whole file (at most 64 MiB) as a string; NULL with errno set. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 16, n = 0, got;
	char *buf = NULL, *b;

	if (!f)
		return NULL;
	while ((b = realloc(buf, cap + 1))) {
		buf = b;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap || cap >= (64u << 20))
			break;
		cap *= 2;
	}
	fclose(f);
	if (!buf || n >= (64u << 20)) {
		free(buf);
		errno = buf ? EFBIG : ENOMEM;
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* podrun learn: write the learned policy to --out (a new file renamed over it). */
static int write_learned(podrun_t *pod, const struct cli_limits *l)
{
	char *merge = NULL, *text = NULL, tmp[4200];
	int64_t n;
	int fd, ret = -1;

	if (l->merge && !(merge = read_text(l->out)) && errno != ENOENT) {
		fprintf(stderr, "podrun: --merge: cannot read %s: %s\n", l->out, strerror(errno));
		return -1;
	}
	n = podrun_learned_policy(pod, merge, NULL, 0);
	if (n >= 0 && n < INT32_MAX - 1 && (text = malloc((size_t)n + 2)))
		n = podrun_learned_policy(pod, merge, text, (uint32_t)n + 1);
	if (n < 0 || !text) {
		fprintf(stderr, "podrun: learn: %s\n",
			n < 0 && *podrun_error(pod) ? podrun_error(pod)
						    : strerror(n < 0 ? (int)-n : ENOMEM));
		goto out;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp%d", l->out, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || dprintf(fd, "%s\n", text) < 0 || close(fd) < 0 || rename(tmp, l->out) < 0) {
		fprintf(stderr, "podrun: learn: cannot write %s: %s\n", l->out, strerror(errno));
		unlink(tmp);
		goto out;
	}
	fprintf(stderr, "podrun: learned policy written to %s\n", l->out);
	ret = 0;
out:
	free(merge);
	free(text);
	return ret;
}

int main(int argc, char **argv)
{
	podrun_t *pod = NULL;
	struct cli_limits learn = { 0 };
	int status;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "pool"))
		return pool_main(argc, argv);
	if (argc < 2 || (strcmp(argv[1], "run") != 0 && strcmp(argv[1], "learn") != 0)) {
		usage(stderr);
		return PODRUN_EXIT_USAGE;
	}

	/* 1. Describe the pod: the CLI's own stdio, its signals, messages as lines. */
	if (podrun_new(&pod) < 0) {
		fputs("podrun: out of memory\n", stderr);
		return PODRUN_EXIT_RUNNER;
	}
	podrun_set_stdio(pod, 0, 1, 2);
	podrun_set_option(pod, "signals", "1");
	podrun_set_option(pod, "messages", "stdout");

	/* 2. Parse the command line into configuration calls (usage errors: 2). */
	status = parse_args(pod, argc, argv, &learn);
	if (status)
		goto cleanup;

	/* 3. Start: policy, rings, control socket, mounts, network, audit, spawn. */
	if (podrun_start(pod) < 0) {
		fprintf(stderr, "podrun: %s\n", podrun_error(pod));
		status = podrun_exit_code(pod);
		goto cleanup;
	}

	/* 4. Run the event loop until the pod has ended and everything is cleaned up. */
	status = podrun_wait(pod);
	if (status < 0) {
		fprintf(stderr, "podrun: %s\n", podrun_error(pod));
		status = PODRUN_EXIT_RUNNER;
	}
	/* 4b. learn: the policy the run needed (the pod's own status is kept) */
	if (learn.learn && status >= 0 && write_learned(pod, &learn) < 0)
		status = PODRUN_EXIT_RUNNER;

cleanup:
	/* 5. Free (the pod is gone already; this removes what is left). */
	if (status < 0 || status > 255)
		status = PODRUN_EXIT_RUNNER;
	podrun_free(pod);
	return status;
}
