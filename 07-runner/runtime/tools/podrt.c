/*
 * podrt.c — print the runtime plan for a program (layer 07-runner, runtime discovery).
 *
 *     podrt [--top DIR] [--no-ffi] [--ffi-socket PATH] [--sdk-dir DIR] PROGRAM [ARGS...]
 *         prints the plan: kind, argv, env, mounts, exec paths, FFI-trusted paths
 *         (--sdk-dir: mount DIR as both SDKs, for checkouts where 02-ipc's are absent)
 *     podrt --bwrap [...] PROGRAM [ARGS...]
 *         prints bubblewrap arguments (one per line) that run PROGRAM with
 *         exactly the plan's read-only mounts, a private /dev, /proc and /tmp
 *         and all namespaces unshared: the peer of 07-runner's start benchmark
 *         and a way to try a plan by hand:  mapfile -t a < <(podrt --bwrap x.py); bwrap "${a[@]}"
 *
 * Builds on runtime.h only. Used by people, the runtime tests and 07-runner's bench.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static void usage(void)
{
	fprintf(stderr, "usage: podrt [--bwrap] [--top DIR] [--no-ffi] [--ffi-socket PATH] "
			"[--sdk-dir DIR] PROGRAM [ARGS...]\n");
	exit(2);
}

static void print_plan(const rt_plan_t *p)
{
	const struct rt_mount *m;
	size_t n = rt_plan_mounts(p, &m);
	printf("kind %s\nprogram %s\ncwd %s\n", rt_kind_name(rt_plan_kind(p)), rt_plan_program(p),
	       rt_plan_cwd(p));
	for (char *const *a = rt_plan_argv(p); *a; a++)
		printf("argv %s\n", *a);
	for (char *const *a = rt_plan_env(p); *a; a++)
		printf("env %s\n", *a);
	for (size_t i = 0; i < n; i++)
		printf("mount %s %s %s\n", m[i].is_dir ? "dir " : "file", m[i].host, m[i].pod);
	for (char *const *a = rt_plan_exec_paths(p); *a; a++)
		printf("exec %s\n", *a);
	for (char *const *a = rt_plan_ffi_trusted(p); *a; a++)
		printf("trusted %s\n", *a);
}

static void print_bwrap(const rt_plan_t *p)
{
	const struct rt_mount *m;
	size_t n = rt_plan_mounts(p, &m);
	printf("--unshare-all\n--die-with-parent\n--new-session\n--clearenv\n"
	       "--dev\n/dev\n--proc\n/proc\n--tmpfs\n/tmp\n");
	for (size_t i = 0; i < n; i++)
		printf("--ro-bind\n%s\n%s\n", m[i].host, m[i].pod);
	for (char *const *e = rt_plan_env(p); *e; e++) {
		const char *eq = strchr(*e, '=');
		printf("--setenv\n%.*s\n%s\n", (int)(eq - *e), *e, eq + 1);
	}
	printf("--setenv\nPATH\n/usr/bin:/bin\n--chdir\n%s\n--\n", rt_plan_cwd(p));
	for (char *const *a = rt_plan_argv(p); *a; a++)
		printf("%s\n", *a);
}

int main(int argc, char **argv)
{
	struct rt_config cfg;
	struct rt_error err;
	rt_plan_t *plan = NULL;
	int bwrap = 0, i = 1;

	rt_config_init(&cfg);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--bwrap") == 0)
			bwrap = 1;
		else if (strcmp(argv[i], "--no-ffi") == 0)
			cfg.audit_lib = "";
		else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc)
			cfg.top = argv[++i];
		else if (strcmp(argv[i], "--ffi-socket") == 0 && i + 1 < argc)
			cfg.ffi_socket = argv[++i];
		else if (strcmp(argv[i], "--sdk-dir") == 0 && i + 1 < argc)
			cfg.python_sdk = cfg.bun_sdk = argv[++i];
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			usage();
	}
	if (i >= argc)
		usage();
	int ret = rt_plan_new(&cfg, argv[i], argv + i + 1, &plan, &err);
	if (ret < 0) {
		fprintf(stderr, "podrt: %s\n", err.msg);
		return 1;
	}
	if (bwrap)
		print_bwrap(plan);
	else
		print_plan(plan);
	rt_plan_free(plan);
	return 0;
}
