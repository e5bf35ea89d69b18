/*
 * check_runtime.c — Check suite of the runtime discovery module (07-runner/runtime).
 *
 * TCases:
 *   kind    worker kind from the program name
 *   elf     ELF parsing (hostile files) and library resolution against the
 *           system loader's own answer (`ld.so --list`)
 *   plan    what each kind's plan contains (argv, env, mounts, exec, trusted)
 *   run     real runs: each plan executed in bubblewrap with exactly the planned
 *           read-only mounts (plus /dev, /proc, /tmp) — root only
 *
 * Builds on runtime.h and the fixtures built by the Makefile into RT_TEST_BUILD.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podtest.h"
#include "runtime.h"
#include "src/rt_internal.h" /* the cache and Python's self-description */

static char g_build[PATH_MAX]; /* where the fixtures are */
static char g_tests[PATH_MAX]; /* this folder (scripts) */

/* The project root, found the way podrun finds it: from this program's own path. */
static const char *test_top(void)
{
	static char top[PATH_MAX];
	if (!top[0])
		ck_assert_int_eq(rt_top(top, sizeof(top)), 0);
	return top;
}
#define RT_DEFAULT_TOP test_top()

static void fixture(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%s/tests/%s", g_build, name);
}

static void script(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", g_tests, name);
}

static int argv_has(const rt_plan_t *p, const char *s)
{
	for (char *const *a = rt_plan_argv(p); *a; a++)
		if (strcmp(*a, s) == 0)
			return 1;
	return 0;
}

static int vec_has(char *const *v, const char *s)
{
	for (; *v; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

static int env_prefix(const rt_plan_t *p, const char *prefix)
{
	for (char *const *a = rt_plan_env(p); *a; a++)
		if (strncmp(*a, prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

/* The mount at pod path @p pod, or NULL. */
static const struct rt_mount *mount_at(const rt_plan_t *p, const char *pod)
{
	const struct rt_mount *m;
	size_t n = rt_plan_mounts(p, &m);
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].pod, pod) == 0)
			return &m[i];
	return NULL;
}

/* Defaults for the tests: the SDK folders of 02-ipc may still be empty in a
 * checkout, so the plans point at this folder instead (only mounted, not used). */
static void test_config(struct rt_config *cfg)
{
	rt_config_init(cfg);
	cfg->python_sdk = g_tests;
	cfg->bun_sdk = g_tests;
}

static rt_plan_t *plan_or_fail(const struct rt_config *cfg, const char *program, char *const *args)
{
	rt_plan_t *p = NULL;
	struct rt_error err;
	int ret = rt_plan_new(cfg, program, args, &p, &err);
	ck_assert_msg(ret == 0, "plan for %s: %d %s", program, ret, err.msg);
	return p;
}

/* ---- the project root ------------------------------------------------------ */

/* No path is compiled in: the root is the ancestor of this test program that
 * holds 02-ipc/ and 07-runner/ (g_build is <top>/07-runner/runtime/build[/san]). */
START_TEST(test_top_is_found_from_the_binary)
{
	char want[PATH_MAX], path[PATH_MAX], lib[PATH_MAX];
	snprintf(path, sizeof(path), "%s/runtime.h", g_tests);
	ck_assert_ptr_nonnull(realpath(g_tests, want));
	*strrchr(want, '/') = '\0'; /* runtime/tests -> runtime */
	*strrchr(want, '/') = '\0'; /* -> 07-runner */
	*strrchr(want, '/') = '\0'; /* -> top */
	ck_assert_str_eq(test_top(), want);
	ck_assert_int_eq(rt_top_path("07-runner/runtime/runtime.h", lib, sizeof(lib)), 0);
	ck_assert_int_eq(access(lib, R_OK), 0);
	ck_assert_int_eq(rt_top(path, 4), -ENAMETOOLONG);
}
END_TEST

/* ---- kind ------------------------------------------------------------------ */

START_TEST(test_kind_follows_the_extension)
{
	ck_assert_int_eq(rt_kind_of("a/b/worker.py"), RT_KIND_PYTHON);
	ck_assert_int_eq(rt_kind_of("w.ts"), RT_KIND_BUN);
	ck_assert_int_eq(rt_kind_of("w.js"), RT_KIND_BUN);
	ck_assert_int_eq(rt_kind_of("w.mjs"), RT_KIND_BUN);
	ck_assert_int_eq(rt_kind_of("libecho.so"), RT_KIND_CLIB);
	ck_assert_int_eq(rt_kind_of("/usr/bin/ls"), RT_KIND_NATIVE);
	ck_assert_int_eq(rt_kind_of(".py"), RT_KIND_NATIVE); /* no name before the dot */
	ck_assert_int_eq(rt_kind_of("x.so.1"), RT_KIND_NATIVE);
	ck_assert_str_eq(rt_kind_name(RT_KIND_CLIB), "clib");
}
END_TEST

/* ---- elf ------------------------------------------------------------------- */

struct set {
	char items[256][PATH_MAX];
	int n;
};

static void collect(const char *found, const char *real, void *arg)
{
	struct set *s = arg;
	(void)found;
	if (s->n < 256)
		snprintf(s->items[s->n++], PATH_MAX, "%s", real);
}

static int set_has(const struct set *s, const char *real)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->items[i], real) == 0)
			return 1;
	return 0;
}

/* Every library `ld.so --list` loads for @p prog is in our closure. */
static void compare_with_loader(const char *prog)
{
	static struct set ours;
	char cmd[PATH_MAX + 64], line[PATH_MAX + 64];
	int ret, checked = 0;
	ours.n = 0;
	ret = rt_elf_closure(prog, collect, &ours, NULL);
	ck_assert_int_gt(ret, 0);
	snprintf(cmd, sizeof(cmd), "/lib64/ld-linux-x86-64.so.2 --list '%s' 2>&1", prog);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char path[PATH_MAX], real[PATH_MAX];
		const char *arrow = strstr(line, "=> ");
		const char *start = arrow ? arrow + 3 : line + strspn(line, " \t");
		if (sscanf(start, "%4095s", path) != 1 || path[0] != '/')
			continue; /* linux-vdso.so.1 has no file */
		ck_assert_ptr_nonnull(realpath(path, real));
		ck_assert_msg(set_has(&ours, real), "%s: loader loads %s, closure misses it", prog,
			      real);
		checked++;
	}
	pclose(f);
	ck_assert_int_gt(checked, 1);
}

START_TEST(test_closure_matches_the_system_loader)
{
	char prog[PATH_MAX];
	compare_with_loader("/usr/bin/python3");
	fixture(prog, "fixture_native");
	compare_with_loader(prog);
	fixture(prog, "fixture_lib/fixture_rpath");
	compare_with_loader(prog);
}
END_TEST

START_TEST(test_closure_follows_runpath_origin)
{
	static struct set s;
	char prog[PATH_MAX], dep[PATH_MAX], real[PATH_MAX];
	s.n = 0;
	fixture(prog, "fixture_lib/fixture_rpath");
	fixture(dep, "fixture_lib/libfixdep.so");
	ck_assert_int_gt(rt_elf_closure(prog, collect, &s, NULL), 0);
	ck_assert_ptr_nonnull(realpath(dep, real));
	ck_assert(set_has(&s, real));
}
END_TEST

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

START_TEST(test_hostile_elf_files_are_rejected_not_followed)
{
	char path[] = "/tmp/rt_test_elf_XXXXXX";
	struct rt_error err;
	unsigned char buf[4096];
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* 1. garbage */
	memset(buf, 0x41, sizeof(buf));
	write_file(path, buf, sizeof(buf));
	ck_assert_int_eq(rt_elf_closure(path, NULL, NULL, &err), -ENOEXEC);
	/* 2. a real ELF header, truncated right after it */
	int src = open("/usr/bin/python3", O_RDONLY);
	ck_assert_int_ge(src, 0);
	ck_assert_int_eq(read(src, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(src);
	write_file(path, buf, 64);
	ck_assert_int_eq(rt_elf_closure(path, NULL, NULL, &err), -ENOEXEC);
	/* 3. program headers pointing far past the end of the file */
	buf[32] = 0xff; /* e_phoff low byte */
	buf[38] = 0xff; /* e_phoff byte 6 */
	write_file(path, buf, sizeof(buf));
	ck_assert_int_eq(rt_elf_closure(path, NULL, NULL, &err), -ENOEXEC);
	/* 4. a native plan for it is refused, naming the file */
	chmod(path, 0700);
	rt_plan_t *p = NULL;
	struct rt_config cfg;
	test_config(&cfg);
	cfg.audit_lib = "";
	ck_assert_int_eq(rt_plan_new(&cfg, path, NULL, &p, &err), -ENOEXEC);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	unlink(path);
}
END_TEST

/* A hostile library names a FIFO as its DT_NEEDED: the closure must refuse it
 * without opening it (open() of a FIFO blocks until a writer comes: the runner
 * would hang planning the pod; Check's timeout fails the test then). */
START_TEST(test_needed_fifo_is_refused_without_blocking)
{
	static const char placeholder[] = "/tmp/rt_test_fifo_QQQQQQ";
	char lib[PATH_MAX], copy[] = "/tmp/rt_test_lib_XXXXXX", fifo[] = "/tmp/rt_test_fifo_XXXXXX";
	static unsigned char buf[1 << 20];
	struct rt_error err;
	fixture(lib, "fixture_hostile/libfixfifo.so");
	int fd = open(lib, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_gt(n, 0);
	/* 1. a unique FIFO name of the placeholder's length, patched into a copy */
	fd = mkstemp(fifo);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(fifo);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_uint_eq(strlen(fifo), strlen(placeholder));
	unsigned char *at = memmem(buf, (size_t)n, placeholder, sizeof(placeholder));
	ck_assert_ptr_nonnull(at);
	memcpy(at, fifo, sizeof(placeholder));
	fd = mkstemp(copy);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(copy, buf, (size_t)n);
	/* 2. refused, naming the missing library; the runner did not block */
	ck_assert_int_eq(rt_elf_closure(copy, NULL, NULL, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, fifo));
	/* 3. a directory, a device and /proc/self/exe-like paths are not libraries either */
	memcpy(at, "/dev/null", sizeof("/dev/null"));
	write_file(copy, buf, (size_t)n);
	ck_assert_int_eq(rt_elf_closure(copy, NULL, NULL, &err), -ENOENT);
	memcpy(at, "/tmp", sizeof("/tmp"));
	write_file(copy, buf, (size_t)n);
	ck_assert_int_eq(rt_elf_closure(copy, NULL, NULL, &err), -ENOENT);
	unlink(copy);
	unlink(fifo);
}
END_TEST

/* PT_INTERP becomes a pod path as written: "/./lib64/ld-linux..." resolves to
 * the real loader, but a non-normalized interpreter path is refused. */
START_TEST(test_interpreter_path_must_be_normalized)
{
	char prog[PATH_MAX];
	struct rt_error err;
	fixture(prog, "fixture_hostile/fixture_dotinterp");
	ck_assert_int_eq(rt_elf_closure(prog, NULL, NULL, &err), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err.msg, "fixture_dotinterp"));
	/* the same program with its interpreter as linked is fine */
	fixture(prog, "fixture_native");
	ck_assert_int_ge(rt_elf_closure(prog, NULL, NULL, &err), 1);
}
END_TEST

/* A #! script whose interpreter is a FIFO: refused, without the runner blocking
 * in open() (Check's timeout fails the test if it does). */
START_TEST(test_shebang_naming_a_fifo_is_refused_without_blocking)
{
	char dir[] = "/tmp/rt_test_sb_XXXXXX", fifo[PATH_MAX], prog[PATH_MAX], text[PATH_MAX + 32];
	struct rt_error err;
	rt_plan_t *p = NULL;
	struct rt_config cfg;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/interp", dir);
	snprintf(prog, sizeof(prog), "%s/script", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	int n = snprintf(text, sizeof(text), "#!%s x\necho hi\n", fifo);
	write_file(prog, text, (size_t)n);
	test_config(&cfg);
	cfg.audit_lib = "";
	ck_assert_int_eq(rt_plan_new(&cfg, prog, NULL, &p, &err), -ENOEXEC);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err.msg, fifo), "%s", err.msg);
	unlink(prog);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

/* ---- plan ------------------------------------------------------------------ */

START_TEST(test_python_plan_has_interpreter_stdlib_sdk_and_boot)
{
	char prog[PATH_MAX], py[PATH_MAX];
	struct rt_config cfg;
	test_config(&cfg);
	cfg.audit_lib = "";
	char *args[] = { "x", NULL };
	script(prog, "fixture_py.py");
	rt_plan_t *p = plan_or_fail(&cfg, prog, args);
	ck_assert_int_eq(rt_plan_kind(p), RT_KIND_PYTHON);
	ck_assert_ptr_nonnull(realpath("/usr/bin/python3", py));
	char *const *argv = rt_plan_argv(p);
	ck_assert_str_eq(argv[0], py);
	ck_assert_str_eq(argv[1], "-I");
	ck_assert_str_eq(argv[2], RT_POD_BOOT "/podboot.py");
	ck_assert_str_eq(argv[3], RT_POD_APP "/fixture_py.py");
	ck_assert_str_eq(argv[4], "x");
	ck_assert_ptr_null(argv[5]);
	ck_assert_ptr_nonnull(mount_at(p, py));
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_APP));
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_SDK_PYTHON));
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_BOOT));
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_RING_LIB));
	/* the stdlib landmark is under some directory mount */
	int found = 0;
	const struct rt_mount *m;
	size_t n = rt_plan_mounts(p, &m);
	for (size_t i = 0; i < n; i++) {
		char os_py[PATH_MAX];
		snprintf(os_py, sizeof(os_py), "%s/os.py", m[i].host);
		found |= m[i].is_dir && access(os_py, F_OK) == 0;
		if (i > 0) /* sorted: parents before children */
			ck_assert_int_lt(strcmp(m[i - 1].pod, m[i].pod), 0);
	}
	ck_assert(found);
	ck_assert(vec_has(rt_plan_exec_paths(p), py));
	ck_assert(env_prefix(p, "PYTHONPATH=" RT_POD_SDK_PYTHON));
	ck_assert(env_prefix(p, "POD_RING_LIB=" RT_POD_RING_LIB));
	ck_assert(!env_prefix(p, "LD_AUDIT="));
	rt_plan_free(p);
}
END_TEST

START_TEST(test_bun_plan_mounts_the_real_binary_not_the_symlink)
{
	char prog[PATH_MAX], bun[PATH_MAX], real[PATH_MAX];
	struct rt_config cfg;
	test_config(&cfg);
	script(prog, "fixture_bun.ts");
	snprintf(bun, sizeof(bun), "%s/.deps/bun/node_modules/.bin/bun", RT_DEFAULT_TOP);
	ck_assert_ptr_nonnull(realpath(bun, real));
	cfg.audit_lib = "";
	rt_plan_t *p = plan_or_fail(&cfg, prog, NULL);
	ck_assert_int_eq(rt_plan_kind(p), RT_KIND_BUN);
	const struct rt_mount *m = mount_at(p, RT_POD_BUN);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->host, real);
	ck_assert_str_eq(rt_plan_argv(p)[0], RT_POD_BUN);
	ck_assert(argv_has(p, RT_POD_APP "/fixture_bun.ts"));
	ck_assert(argv_has(p, "--preload")); /* the "pod" module, even with the FFI gates off */
	ck_assert(argv_has(p, "--no-install"));
	ck_assert(!env_prefix(p, "POD_FFI_GATE="));
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_SDK_BUN));
	ck_assert_ptr_nonnull(mount_at(p, "/lib64/ld-linux-x86-64.so.2"));
	rt_plan_free(p);
}
END_TEST

START_TEST(test_native_plan_mounts_only_the_file_and_its_libraries)
{
	char prog[PATH_MAX];
	struct rt_config cfg;
	test_config(&cfg);
	cfg.audit_lib = "";
	fixture(prog, "fixture_lib/fixture_rpath");
	rt_plan_t *p = plan_or_fail(&cfg, prog, NULL);
	ck_assert_int_eq(rt_plan_kind(p), RT_KIND_NATIVE);
	ck_assert_str_eq(rt_plan_argv(p)[0], RT_POD_APP "/fixture_rpath");
	ck_assert_ptr_null(mount_at(p, RT_POD_APP)); /* not the whole directory */
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_APP "/fixture_rpath"));
	/* the $ORIGIN library appears next to it inside the pod */
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_APP "/libfixdep.so"));
	ck_assert(vec_has(rt_plan_exec_paths(p), RT_POD_APP "/fixture_rpath"));
	ck_assert(vec_has(rt_plan_exec_paths(p), "/lib64/ld-linux-x86-64.so.2"));
	rt_plan_free(p);
}
END_TEST

START_TEST(test_shebang_script_gets_its_interpreter)
{
	char prog[PATH_MAX], sh[PATH_MAX];
	struct rt_config cfg;
	test_config(&cfg);
	cfg.audit_lib = "";
	script(prog, "fixture_script.sh");
	rt_plan_t *p = plan_or_fail(&cfg, prog, NULL);
	ck_assert_ptr_nonnull(realpath("/bin/sh", sh));
	const struct rt_mount *m = mount_at(p, "/bin/sh");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->host, sh);
	ck_assert(vec_has(rt_plan_exec_paths(p), "/bin/sh"));
	ck_assert(vec_has(rt_plan_exec_paths(p), RT_POD_APP "/fixture_script.sh"));
	rt_plan_free(p);
}
END_TEST

START_TEST(test_clib_plan_runs_the_pod_host_and_trusts_only_the_library)
{
	char lib[PATH_MAX], host[PATH_MAX];
	struct rt_config cfg;
	test_config(&cfg);
	fixture(lib, "fixture_lib/libfixdep.so");
	fixture(host, "fixture_native"); /* stands in for the pod host binary */
	cfg.podhost = host;
	cfg.audit_lib = lib; /* any existing library stands in for libpodaudit.so */
	cfg.ffi_socket = "/run/pod/x/query.sock";
	char *wargs[] = { "--pod-socket=/s", NULL };
	cfg.worker_args = wargs;
	char *args[] = { "arg1", NULL };
	rt_plan_t *p = plan_or_fail(&cfg, lib, args);
	ck_assert_int_eq(rt_plan_kind(p), RT_KIND_CLIB);
	char *const *argv = rt_plan_argv(p);
	ck_assert_str_eq(argv[0], RT_POD_PODHOST);
	ck_assert_str_eq(argv[1], RT_POD_APP "/libfixdep.so");
	ck_assert_str_eq(argv[2], "--pod-socket=/s");
	ck_assert_str_eq(argv[3], "arg1");
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_PODHOST));
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_AUDIT_LIB));
	ck_assert(vec_has(rt_plan_ffi_trusted(p), RT_POD_APP "/libfixdep.so"));
	ck_assert(env_prefix(p, "LD_AUDIT=" RT_POD_AUDIT_LIB));
	ck_assert(env_prefix(p, "POD_FFI_SOCKET=/run/pod/x/query.sock"));
	ck_assert(env_prefix(p, "POD_FFI_TRUSTED="));
	/* a pod path maps back to the host file */
	char out[PATH_MAX], real[PATH_MAX];
	ck_assert_int_eq(rt_plan_host_path(p, RT_POD_APP "//./libfixdep.so", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(realpath(lib, real));
	ck_assert_str_eq(out, real);
	ck_assert_int_eq(rt_plan_host_path(p, "/pod/app/../../etc/passwd", out, sizeof(out)),
			 -EINVAL);
	ck_assert_int_eq(rt_plan_host_path(p, "/etc/passwd", out, sizeof(out)), -ENOENT);
	ck_assert_int_eq(rt_plan_host_path(p, "relative.so", out, sizeof(out)), -EINVAL);
	rt_plan_free(p);
}
END_TEST

START_TEST(test_missing_or_unrunnable_programs_are_refused)
{
	char prog[PATH_MAX];
	struct rt_error err;
	rt_plan_t *p = NULL;
	struct rt_config cfg;
	test_config(&cfg);
	cfg.audit_lib = "";
	ck_assert_int_eq(rt_plan_new(&cfg, "/nonexistent/w.py", NULL, &p, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/w.py"));
	ck_assert_int_eq(rt_plan_new(&cfg, "no-such-program-anywhere", NULL, &p, &err), -ENOENT);
	script(prog, "fixture_py.py"); /* not executable, so not a native program */
	char copy[] = "/tmp/rt_test_noexec_XXXXXX";
	int fd = mkstemp(copy);
	ck_assert_int_ge(fd, 0);
	close(fd);
	chmod(copy, 0600);
	ck_assert_int_eq(rt_plan_new(&cfg, copy, NULL, &p, &err), -EACCES);
	unlink(copy);
	/* a C-lib that is an executable, not a library: refused */
	cfg.podhost = "/bin/true";
	ck_assert_int_eq(rt_plan_new(&cfg, "/nonexistent/x.so", NULL, &p, &err), -ENOENT);
	/* a missing LD_AUDIT library is named */
	cfg.audit_lib = "/nonexistent/libpodaudit.so";
	ck_assert_int_eq(rt_plan_new(&cfg, prog, NULL, &p, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/libpodaudit.so"));
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_absent_sdk_folders_are_skipped_unless_configured)
{
	char top[] = "/tmp/rt_test_top_XXXXXX", path[PATH_MAX], target[PATH_MAX], prog[PATH_MAX];
	struct rt_error err;
	rt_plan_t *p = NULL;
	struct rt_config cfg;
	ck_assert_ptr_nonnull(mkdtemp(top));
	/* a checkout with libring.so and the FFI bootstrap, but no 02-ipc SDKs */
	snprintf(path, sizeof(path),
		 "mkdir -p %s/01-ring/build %s/07-runner/ldaudit && "
		 "ln -s %s/01-ring/build/libring.so %s/01-ring/build/ 2>/dev/null || "
		 "ln -s %s/01-ring/build/san/libring.so %s/01-ring/build/libring.so; "
		 "ln -s %s/07-runner/ldaudit/boot %s/07-runner/ldaudit/boot",
		 top, top, RT_DEFAULT_TOP, top, RT_DEFAULT_TOP, top, RT_DEFAULT_TOP, top);
	ck_assert_int_eq(system(path), 0);
	snprintf(target, sizeof(target), "%s/01-ring/build/libring.so", top);
	ck_assert_int_eq(access(target, F_OK), 0);
	rt_config_init(&cfg);
	cfg.top = top;
	cfg.audit_lib = "";
	script(prog, "fixture_py.py");
	ck_assert_int_eq(rt_plan_new(&cfg, prog, NULL, &p, &err), 0);
	ck_assert_ptr_null(mount_at(p, RT_POD_SDK_PYTHON));
	ck_assert_ptr_nonnull(mount_at(p, RT_POD_BOOT));
	rt_plan_free(p);
	/* named explicitly, a missing SDK is an error naming it */
	cfg.python_sdk = "/nonexistent/sdk";
	ck_assert_int_eq(rt_plan_new(&cfg, prog, NULL, &p, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/sdk"));
	snprintf(path, sizeof(path), "rm -rf %s", top);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* ---- run ------------------------------------------------------------------- */

/* Run a plan in bubblewrap with exactly its mounts; return stdout+stderr and status. */
static int run_plan(const rt_plan_t *p, char *out, size_t cap)
{
	char *argv[1024];
	int n = 0, pipefd[2];
	const struct rt_mount *m;
	size_t nm = rt_plan_mounts(p, &m);
	argv[n++] = "bwrap";
	argv[n++] = "--unshare-all";
	argv[n++] = "--die-with-parent";
	argv[n++] = "--clearenv";
	argv[n++] = "--dev";
	argv[n++] = "/dev";
	argv[n++] = "--proc";
	argv[n++] = "/proc";
	for (size_t i = 0; i < nm && n < 900; i++) {
		argv[n++] = "--ro-bind";
		argv[n++] = (char *)m[i].host;
		argv[n++] = (char *)m[i].pod;
	}
	static char envs[64][4096];
	int ne = 0;
	for (char *const *e = rt_plan_env(p); *e && ne < 64; e++, ne++) {
		const char *eq = strchr(*e, '=');
		snprintf(envs[ne], sizeof(envs[ne]), "%.*s", (int)(eq - *e), *e);
		argv[n++] = "--setenv";
		argv[n++] = envs[ne];
		argv[n++] = (char *)eq + 1;
	}
	argv[n++] = "--chdir";
	argv[n++] = (char *)rt_plan_cwd(p);
	argv[n++] = "--";
	for (char *const *a = rt_plan_argv(p); *a && n < 1020; a++)
		argv[n++] = *a;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(pipefd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2); /* stderr too: a failure message then says why */
		close(pipefd[0]);
		close(pipefd[1]);
		execvp("bwrap", argv);
		_exit(127);
	}
	close(pipefd[1]);
	size_t used = 0;
	ssize_t r;
	while (used + 1 < cap && (r = read(pipefd[0], out + used, cap - 1 - used)) > 0)
		used += (size_t)r;
	out[used] = '\0';
	close(pipefd[0]);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void require_bwrap(void)
{
	POD_REQUIRE_ROOT();
	POD_REQUIRE(system("bwrap --version >/dev/null 2>&1") == 0, "needs bubblewrap");
}

static void run_and_expect(const char *program, char *const *args, const char *want)
{
	char out[4096];
	struct rt_config cfg;
	test_config(&cfg);
	cfg.audit_lib = "";
	rt_plan_t *p = plan_or_fail(&cfg, program, args);
	int status = run_plan(p, out, sizeof(out));
	ck_assert_msg(status == 0, "%s exited %d, output: %s", program, status, out);
	ck_assert_msg(strstr(out, want), "%s printed '%s', expected '%s'", program, out, want);
	rt_plan_free(p);
}

START_TEST(test_python_runs_with_only_the_planned_mounts)
{
	char prog[PATH_MAX];
	char *args[] = { "a1", "a2", NULL };
	require_bwrap();
	if (!pod_is_root())
		return;
	script(prog, "fixture_py.py");
	/* crc32("pod") via zlib, sha256 via _hashlib/libcrypto, ctypes via libffi */
	run_and_expect(prog, args, "python {\"crc\": 51012459} 425c89ed 4 a1 a2");
}
END_TEST

START_TEST(test_python_sdk_and_libring_work_with_only_the_planned_mounts)
{
	char prog[PATH_MAX], out[4096], sdk[PATH_MAX];
	struct rt_config cfg;
	require_bwrap();
	if (!pod_is_root())
		return;
	snprintf(sdk, sizeof(sdk), "%s/02-ipc/python/pod/__init__.py", RT_DEFAULT_TOP);
	ck_assert_msg(access(sdk, F_OK) == 0, "the 02-ipc Python SDK is missing: %s", sdk);
	rt_config_init(&cfg); /* the real SDK folder this time */
	cfg.audit_lib = "";
	script(prog, "fixture_sdk.py");
	rt_plan_t *p = plan_or_fail(&cfg, prog, NULL);
	int status = run_plan(p, out, sizeof(out));
	ck_assert_msg(status == 0 && strstr(out, "sdk connect ring True"), "status %d, output: %s",
		      status, out);
	rt_plan_free(p);
}
END_TEST

START_TEST(test_bun_runs_with_only_the_planned_mounts)
{
	char prog[PATH_MAX];
	char *args[] = { "b1", NULL };
	require_bwrap();
	if (!pod_is_root())
		return;
	script(prog, "fixture_bun.ts");
	run_and_expect(prog, args, "bun sum=6 b1");
}
END_TEST

START_TEST(test_bun_sdk_imports_as_pod_with_only_the_planned_mounts)
{
	char prog[PATH_MAX], out[4096], sdk[PATH_MAX];
	struct rt_config cfg;
	require_bwrap();
	if (!pod_is_root())
		return;
	snprintf(sdk, sizeof(sdk), "%s/02-ipc/bun/pod.ts", RT_DEFAULT_TOP);
	ck_assert_msg(access(sdk, F_OK) == 0, "the 02-ipc Bun SDK is missing: %s", sdk);
	rt_config_init(&cfg); /* the real SDK folder */
	cfg.audit_lib = "";
	script(prog, "fixture_sdk.ts");
	rt_plan_t *p = plan_or_fail(&cfg, prog, NULL);
	int status = run_plan(p, out, sizeof(out));
	ck_assert_msg(status == 0 && strstr(out, "sdk function function"), "status %d, output: %s",
		      status, out);
	rt_plan_free(p);
}
END_TEST

START_TEST(test_native_programs_run_with_only_the_planned_mounts)
{
	char prog[PATH_MAX];
	char *args[] = { "n1", NULL };
	require_bwrap();
	if (!pod_is_root())
		return;
	fixture(prog, "fixture_native");
	run_and_expect(prog, args, "native sqrt=1.414 argc=2 n1");
	fixture(prog, "fixture_lib/fixture_rpath");
	run_and_expect(prog, NULL, "rpath answer=42");
	script(prog, "fixture_script.sh");
	run_and_expect(prog, args, "script n1");
}
END_TEST

/* ---- cache of the loader's and Python's answers ----------------------------- */

/* A private cache directory (0700) for one test; rt_cache_dir points at it. */
static char g_cache_tmp[64];
static void use_private_cache(void)
{
	snprintf(g_cache_tmp, sizeof(g_cache_tmp), "/tmp/rt_test_cache_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g_cache_tmp));
	rt_cache_dir = g_cache_tmp;
}

/* Remove the private cache directory and its files (flat). */
static void drop_private_cache(void)
{
	char path[PATH_MAX];
	chmod(g_cache_tmp, 0700);
	DIR *d = opendir(g_cache_tmp);
	for (struct dirent *de; d && (de = readdir(d));)
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
			if (snprintf(path, sizeof(path), "%s/%s", g_cache_tmp, de->d_name) <
			    (int)sizeof(path))
				unlink(path);
	if (d)
		closedir(d);
	ck_assert_int_eq(rmdir(g_cache_tmp), 0);
}

static void cache_file(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", g_cache_tmp, name);
}

START_TEST(test_cache_answer_holds_only_for_the_same_program_file)
{
	char prog[] = "/tmp/rt_test_prog_XXXXXX", key[PATH_MAX + 160], key2[PATH_MAX + 160];
	char buf[256];
	use_private_cache();
	int fd = mkstemp(prog);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "v1", 2), 2);
	ck_assert_int_eq(rt_cache_key(prog, key, sizeof(key)), 0);
	ck_assert_int_eq(rt_cache_put("t", key, "/usr/lib\n"), 0);
	ck_assert_int_eq(rt_cache_get("t", key, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/usr/lib\n");
	/* an upgrade rewrites the file: new size, mtime, ctime -> another key */
	ck_assert_int_eq(write(fd, "v2", 2), 2);
	close(fd);
	ck_assert_int_eq(rt_cache_key(prog, key2, sizeof(key2)), 0);
	ck_assert_str_ne(key, key2);
	ck_assert_int_eq(rt_cache_get("t", key2, buf, sizeof(buf)), -ESTALE);
	unlink(prog);
	drop_private_cache();
}
END_TEST

START_TEST(test_cache_refuses_unsafe_or_corrupt_files)
{
	char path[PATH_MAX], buf[256];
	const char *key = "podrt-cache 1 /x 1 2 3 4.0 5.0";
	use_private_cache();
	cache_file("t", path, sizeof(path));
	/* 1. writable by others: not believed */
	ck_assert_int_eq(rt_cache_put("t", key, "/usr/lib\n"), 0);
	ck_assert_int_eq(chmod(path, 0666), 0);
	ck_assert_int_eq(rt_cache_get("t", key, buf, sizeof(buf)), -EPERM);
	/* 2. a symlink is not followed */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink("/etc/hostname", path), 0);
	ck_assert_int_lt(rt_cache_get("t", key, buf, sizeof(buf)), 0);
	ck_assert_int_eq(unlink(path), 0);
	/* 3. a truncated file (no key line) is stale */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "podrt-cache 1 /x", 16), 16);
	close(fd);
	ck_assert_int_eq(rt_cache_get("t", key, buf, sizeof(buf)), -ESTALE);
	/* 4. a directory writable by others: nothing in it is believed */
	ck_assert_int_eq(rt_cache_put("t", key, "/usr/lib\n"), 0);
	ck_assert_int_eq(chmod(g_cache_tmp, 0777), 0);
	ck_assert_int_eq(rt_cache_get("t", key, buf, sizeof(buf)), -EPERM);
	drop_private_cache();
}
END_TEST

/* A rootless runner reads what root wrote to the cache, never what another
 * ordinary user wrote. */
START_TEST(test_cache_written_by_root_is_believed_by_an_ordinary_user)
{
	char path[PATH_MAX], buf[256];
	const char *key = "podrt-cache 1 /x 1 2 3 4.0 5.0";
	int st;
	pid_t pid;

	if (!pod_is_root()) {
		printf("SKIP: needs root to write a root-owned cache and drop to another uid\n");
		return;
	}
	use_private_cache();
	cache_file("t", path, sizeof(path));
	ck_assert_int_eq(chmod(g_cache_tmp, 0755), 0);
	ck_assert_int_eq(rt_cache_put("t", key, "/usr/lib\n"), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	for (int round = 0; round < 2; round++) {
		if (round == 1) /* now another ordinary user's file */
			ck_assert_int_eq(chown(path, 4324, 4324), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			int r;

			if (setgroups(0, NULL) < 0 || setgid(4323) < 0 || setuid(4323) < 0)
				_exit(3);
			r = rt_cache_get("t", key, buf, sizeof(buf));
			_exit(round == 0 ? (r == 0 && !strcmp(buf, "/usr/lib\n") ? 0 : 1)
					 : (r == -EPERM ? 0 : 2));
		}
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "round %d: status %d", round,
			      WEXITSTATUS(st));
	}
	drop_private_cache();
}
END_TEST

static void dyn_collect(const char *found, const char *real, void *arg)
{
	ck_assert_int_eq(strv_pushf(arg, "%s|%s", found, real), 0);
}

static void dyn_interp(const char *interp, void *arg)
{
	ck_assert_int_eq(strv_pushf(arg, "interp %s", interp), 0);
}

static int strv_has_prefix(const struct strv *v, const char *prefix)
{
	for (size_t i = 0; i < v->n; i++)
		if (strncmp(v->v[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

/* The extension-module closure: computed once, then replayed from the cache
 * until a module changes (here: its mtime). */
START_TEST(test_dynload_closure_is_cached_until_a_module_changes)
{
	char dir[] = "/tmp/rt_test_dyn_XXXXXX", so[PATH_MAX], name[NAME_MAX + 1], path[PATH_MAX];
	char body[65536];
	struct strv a = { 0 }, b = { 0 }, c = { 0 };
	struct rt_error e = { { 0 } };
	use_private_cache();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(so, sizeof(so), "%s/m.so", dir);
	/* a real shared object with a dependency (libc) */
	int in = open("/lib/x86_64-linux-gnu/libz.so.1", O_RDONLY),
	    out = open(so, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	ssize_t n;
	while ((n = read(in, body, sizeof(body))) > 0)
		ck_assert_int_eq(write(out, body, (size_t)n), n);
	close(in);
	close(out);
	/* 1. computed: libc is in the closure, and the answer is stored */
	ck_assert_int_eq(rt_dynload_closure(dir, dyn_collect, dyn_interp, &a, &e), 0);
	ck_assert(strv_has_prefix(&a, "/lib/x86_64-linux-gnu/libc.so.6|") ||
		  strv_has_prefix(&a, "/usr/lib/x86_64-linux-gnu/libc.so.6|"));
	rt_cache_name("dynload-", dir, name, sizeof(name));
	cache_file(name, path, sizeof(path));
	FILE *f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("p /rt-test/marker.so\t/rt-test/marker.so\n", f); /* proves a replay */
	fclose(f);
	/* 2. replayed: the marker comes back, with everything computed before */
	ck_assert_int_eq(rt_dynload_closure(dir, dyn_collect, dyn_interp, &b, &e), 0);
	ck_assert(strv_has_prefix(&b, "/rt-test/marker.so|"));
	for (size_t i = 0; i < a.n; i++)
		ck_assert(strv_contains(&b, a.v[i]));
	/* 3. a module rewritten in place (new mtime): computed again */
	struct timespec ts[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, so, ts, 0), 0);
	ck_assert_int_eq(rt_dynload_closure(dir, dyn_collect, dyn_interp, &c, &e), 0);
	ck_assert(!strv_has_prefix(&c, "/rt-test/marker.so|"));
	ck_assert_uint_eq(a.n, c.n);
	strv_free(&a);
	strv_free(&b);
	strv_free(&c);
	unlink(so);
	rmdir(dir);
	drop_private_cache();
}
END_TEST

static void pyinfo_eq(const struct rt_pyinfo *a, const struct rt_pyinfo *b)
{
	ck_assert_str_eq(a->executable, b->executable);
	ck_assert_uint_eq(a->dirs.n, b->dirs.n);
	ck_assert_uint_eq(a->dynload.n, b->dynload.n);
	for (size_t i = 0; i < a->dirs.n; i++)
		ck_assert_str_eq(a->dirs.v[i], b->dirs.v[i]);
	for (size_t i = 0; i < a->dynload.n; i++)
		ck_assert_str_eq(a->dynload.v[i], b->dynload.v[i]);
}

START_TEST(test_python_cached_answer_equals_a_fresh_one_and_corruption_falls_back)
{
	struct rt_pyinfo fresh, cached, again;
	char name[200], path[PATH_MAX], key[PATH_MAX + 160];
	rt_cache_dir = NULL;
	ck_assert_int_eq(rt_python_describe("/usr/bin/python3", &fresh), 0);
	use_private_cache();
	ck_assert_int_eq(rt_python_describe("/usr/bin/python3", &cached), 0); /* asks, stores */
	rt_cache_name("python-", "/usr/bin/python3", name, sizeof(name));
	cache_file(name, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), 0);
	rt_pyinfo_clear(&cached);
	ck_assert_int_eq(rt_python_describe("/usr/bin/python3", &cached), 0); /* from the file */
	pyinfo_eq(&fresh, &cached);
	/* a body that is nonsense under the right key: ask again, same answer */
	ck_assert_int_eq(rt_cache_key("/usr/bin/python3", key, sizeof(key)), 0);
	ck_assert_int_eq(rt_cache_put(name, key, "exe\tnot-a-path\n"), 0);
	ck_assert_int_eq(rt_python_describe("/usr/bin/python3", &again), 0);
	pyinfo_eq(&fresh, &again);
	/* a candidate directory that appeared since: the cached answer is not used */
	ck_assert_int_eq(rt_cache_put(name, key, "exe\t/usr/bin/python3\nmiss\t/tmp\n"), 0);
	rt_pyinfo_clear(&again);
	ck_assert_int_eq(rt_python_describe("/usr/bin/python3", &again), 0);
	pyinfo_eq(&fresh, &again);
	rt_pyinfo_clear(&fresh);
	rt_pyinfo_clear(&cached);
	rt_pyinfo_clear(&again);
	drop_private_cache();
}
END_TEST

static Suite *runtime_suite(void)
{
	Suite *s = suite_create("07-runner/runtime");
	TCase *tc = tcase_create("kind");
	tcase_add_test(tc, test_top_is_found_from_the_binary);
	tcase_add_test(tc, test_kind_follows_the_extension);
	suite_add_tcase(s, tc);

	tc = tcase_create("elf");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_closure_matches_the_system_loader);
	tcase_add_test(tc, test_closure_follows_runpath_origin);
	tcase_add_test(tc, test_hostile_elf_files_are_rejected_not_followed);
	tcase_add_test(tc, test_needed_fifo_is_refused_without_blocking);
	tcase_add_test(tc, test_interpreter_path_must_be_normalized);
	suite_add_tcase(s, tc);

	tc = tcase_create("plan");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_python_plan_has_interpreter_stdlib_sdk_and_boot);
	tcase_add_test(tc, test_bun_plan_mounts_the_real_binary_not_the_symlink);
	tcase_add_test(tc, test_native_plan_mounts_only_the_file_and_its_libraries);
	tcase_add_test(tc, test_shebang_script_gets_its_interpreter);
	tcase_add_test(tc, test_shebang_naming_a_fifo_is_refused_without_blocking);
	tcase_add_test(tc, test_clib_plan_runs_the_pod_host_and_trusts_only_the_library);
	tcase_add_test(tc, test_missing_or_unrunnable_programs_are_refused);
	tcase_add_test(tc, test_absent_sdk_folders_are_skipped_unless_configured);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_cache_answer_holds_only_for_the_same_program_file);
	tcase_add_test(tc, test_cache_refuses_unsafe_or_corrupt_files);
	tcase_add_test(tc, test_cache_written_by_root_is_believed_by_an_ordinary_user);
	tcase_add_test(tc, test_dynload_closure_is_cached_until_a_module_changes);
	tcase_add_test(tc, test_python_cached_answer_equals_a_fresh_one_and_corruption_falls_back);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_python_runs_with_only_the_planned_mounts);
	tcase_add_test(tc, test_python_sdk_and_libring_work_with_only_the_planned_mounts);
	tcase_add_test(tc, test_bun_runs_with_only_the_planned_mounts);
	tcase_add_test(tc, test_bun_sdk_imports_as_pod_with_only_the_planned_mounts);
	tcase_add_test(tc, test_native_programs_run_with_only_the_planned_mounts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *b = getenv("RT_TEST_BUILD");
	snprintf(g_build, sizeof(g_build), "%s", b ? b : "build");
	if (!realpath("tests", g_tests))
		snprintf(g_tests, sizeof(g_tests), "tests");
	SRunner *sr = srunner_create(runtime_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
