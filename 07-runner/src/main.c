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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podrun.h"

static void usage(FILE *f)
{
	fputs("usage: podrun run [OPTIONS] [--] PROGRAM [ARGS...]\n"
	      "\n"
	      "PROGRAM: *.py (Python), *.js|*.ts|*.mjs (Bun), *.so (C-lib, service mode),\n"
	      "         any other executable (native).\n"
	      "options:\n"
	      "  --policy FILE                JSON policy; flags below apply on top of it\n"
	      "  --allow-net[=LIST] --deny-net=LIST --warn-net=LIST      hosts, host:port, *.dom, IP, CIDR\n"
	      "  --allow-read[=LIST] --allow-write[=LIST] (deny-/warn- too)  paths\n"
	      "  --allow-run[=LIST] --allow-env[=LIST] --allow-ffi[=LIST] (deny-/warn- too)\n"
	      "  --allow-all                  allow everything (tests and debugging only)\n"
	      "  --audit FILE                 audit events as JSON lines (- = stderr), with eBPF\n"
	      "  --audit-best-effort          run without eBPF when it cannot start\n"
	      "  --audit-max BYTES[k|m|g]     audit size cap (default 64m; unlimited); then counts only\n"
	      "  --timeout SECONDS            stop the pod after this wall time (exit 124)\n"
	      "  --memory BYTES[k|m|g]        memory of the pod (default 1g; unlimited)\n"
	      "  --pids N                     tasks of the pod (default 512; unlimited)\n"
	      "  --cpu CPUS|N%                CPU quota (default 2 CPUs; unlimited)\n"
	      "  --nofile N                   open files of the worker (default 1024)\n"
	      "  --ipc-rate N                 control messages per second of the pod (default 10000)\n"
	      "  --fsize BYTES[k|m|g]         largest file the worker writes (default 256m; unlimited)\n"
	      "  --audit-level LEVEL          eBPF with --audit: counters | detailed (default) | all\n"
	      "  --grace MS                   STOP grace period before SIGKILL (default 2000)\n"
	      "  --serve                      service mode: stdin lines <-> messages (implied for *.so)\n"
	      "  --debug-ui[=ADDR:PORT]       serve the debug page (loopback by default)\n"
	      "  -q / -v                      quieter / more verbose log on stderr\n"
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
		case 'k': case 'K': mul = 1ull << 10; break;
		case 'm': case 'M': mul = 1ull << 20; break;
		case 'g': case 'G': mul = 1ull << 30; break;
		default: return -EINVAL;
		}
		end++;
	}
	if (*end || (mul > 1 && v > UINT64_MAX / mul))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

/* The option's value: "--opt=VALUE" or "--opt VALUE" (advances *i). */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int is_opt(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int usage_error(const char *fmt, const char *what)
{
	fputs("podrun: ", stderr);
	fprintf(stderr, fmt, what);
	fputs("\n(try podrun --help)\n", stderr);
	return PODRUN_EXIT_USAGE;
}

/* Parse "podrun run ..." options into @p pod. @return 0, or an exit status. */
static int parse_args(podrun_t *pod, int argc, char **argv)
{
	uint64_t timeout = 0, memory = 0, pids = 0, n;
	const char *v;
	int i, verbosity = PODRUN_NORMAL, ret;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "-q")) {
			verbosity--;
		} else if (!strcmp(a, "-v") || !strcmp(a, "-vv")) {
			verbosity += (int)strlen(a) - 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (is_opt(a, "--policy")) {
			if (!(v = opt_value(argc, argv, &i, "--policy")) || podrun_set_policy_file(pod, v))
				return usage_error("%s needs a file", "--policy");
		} else if (is_opt(a, "--audit")) {
			if (!(v = opt_value(argc, argv, &i, "--audit")) || !*v || podrun_set_audit(pod, v))
				return usage_error("%s needs a file (or -)", "--audit");
		} else if (!strcmp(a, "--audit-best-effort")) {
			podrun_set_option(pod, "audit-best-effort", "1");
		} else if (is_opt(a, "--audit-level")) {
			if (!(v = opt_value(argc, argv, &i, "--audit-level")) ||
			    podrun_set_option(pod, "audit-level", v))
				return usage_error("--audit-level needs counters, detailed or all, not %s",
						   v ? v : "nothing");
		} else if (is_opt(a, "--timeout")) {
			if (!(v = opt_value(argc, argv, &i, "--timeout")) || parse_u64(v, &timeout, 0) ||
			    timeout == 0 || timeout > UINT32_MAX)
				return usage_error("--timeout needs a positive number of seconds, not %s",
						   v ? v : "nothing");
		} else if (is_opt(a, "--memory")) {
			if (!(v = opt_value(argc, argv, &i, "--memory")) ||
			    (strcmp(v, "unlimited") ? parse_u64(v, &memory, 1) || memory == 0
						    : !(memory = UINT64_MAX)))
				return usage_error("--memory needs BYTES[k|m|g] or unlimited, not %s",
						   v ? v : "nothing");
		} else if (is_opt(a, "--pids")) {
			if (!(v = opt_value(argc, argv, &i, "--pids")) ||
			    (strcmp(v, "unlimited") ? parse_u64(v, &pids, 0) || pids == 0 || pids >= UINT32_MAX
						    : !(pids = UINT32_MAX)))
				return usage_error("--pids needs a positive number or unlimited, not %s",
						   v ? v : "nothing");
		} else if (is_opt(a, "--cpu") || is_opt(a, "--nofile") || is_opt(a, "--fsize") ||
			   is_opt(a, "--audit-max") || is_opt(a, "--ipc-rate")) {
			char opt[16];
			snprintf(opt, sizeof opt, "%.*s", (int)strcspn(a, "="), a);
			if (!(v = opt_value(argc, argv, &i, opt)) || podrun_set_option(pod, opt + 2, v))
				return usage_error("bad value for this option: %s", v ? v : "nothing");
		} else if (is_opt(a, "--grace")) {
			if (!(v = opt_value(argc, argv, &i, "--grace")) || parse_u64(v, &n, 0) ||
			    podrun_set_option(pod, "grace-ms", v))
				return usage_error("--grace needs milliseconds, not %s", v ? v : "nothing");
		} else if (!strcmp(a, "--serve")) {
			podrun_set_serve(pod, 1);
		} else if (is_opt(a, "--debug-ui")) {
			ret = podrun_set_option(pod, "debug-ui", a[10] == '=' ? a + 11 : "");
			if (ret == -ENOTSUP)
				return usage_error("%s", podrun_error(pod));
		} else if (!strncmp(a, "--allow-", 8) || !strncmp(a, "--deny-", 7) ||
			   !strncmp(a, "--warn-", 7)) {
			ret = podrun_add_policy_flag(pod, a);
			if (ret < 0)
				return usage_error("%s", podrun_error(pod));
		} else {
			return usage_error("unknown option %s", a);
		}
	}
	if (i >= argc)
		return usage_error("%s", "no PROGRAM given");
	if (podrun_set_program(pod, argv[i]) < 0)
		return usage_error("bad PROGRAM %s", argv[i]);
	for (i++; i < argc; i++)
		if (podrun_add_arg(pod, argv[i]) < 0)
			return usage_error("%s", "too many arguments");
	podrun_set_limits(pod, (uint32_t)timeout, memory, (uint32_t)pids);
	podrun_set_verbosity(pod, verbosity);
	return 0;
}

int main(int argc, char **argv)
{
	podrun_t *pod = NULL;
	int status;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "run") != 0) {
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
	status = parse_args(pod, argc, argv);
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

cleanup:
	/* 5. Free (the pod is gone already; this removes what is left). */
	if (status < 0 || status > 255)
		status = PODRUN_EXIT_RUNNER;
	podrun_free(pod);
	return status;
}
