/*
 * podaudit.c — libpodaudit.so, the loader's FFI gate (layer 07-runner).
 *
 * An rtld-audit library (see rtld-audit(7)): the runtime module puts
 * LD_AUDIT=/pod/lib/libpodaudit.so in every worker's environment, and glibc's
 * dynamic loader then calls us while it searches for libraries:
 *
 *   la_version()    once, first: read our settings from the environment
 *                   (before any worker code runs, so the worker cannot change them)
 *   la_activity()   the first LA_ACT_CONSISTENT means "startup is over": the
 *                   initial link map (the runtime itself) is allowed as is
 *   la_objsearch()  for each library search after that:
 *                     LA_SER_ORIG with a '/'   -> decide on that path (if it exists)
 *                     LA_SER_ORIG bare name    -> wait for the candidates
 *                     each candidate path      -> if the file exists, decide on it
 *                   returning NULL refuses the candidate (for LA_SER_ORIG: the
 *                   whole search), so a denied library is never opened
 *
 * Deciding = trusted list (POD_FFI_TRUSTED: the runtime's own extension
 * libraries) or a QUERY(category "ffi", request = absolute path) to the runner
 * over POD_FFI_SOCKET with 02-ipc's query client, waiting for the VERDICT at
 * most POD_FFI_TIMEOUT_MS (default 2000). No socket, no answer or a broken
 * answer = deny. A deny prints `pod: ffi denied: <lib> (rule <rule>)` on stderr.
 *
 * The loader holds its lock around la_objsearch(), so the state below is only
 * touched by one thread at a time. This library lives in its own link-map
 * namespace with its own copy of libc.
 *
 * Honest limit: LD_AUDIT is a decision point, not a boundary. A static binary or
 * a child that drops LD_AUDIT skips it; what contains those is the mount plan
 * (only allowed libraries are visible) and noexec writable mounts.
 *
 * Builds on 02-ipc (ipc_worker.h: ipc_client_*). Used by every worker kind.
 */
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc_worker.h"
#include "sandbox_path.h"

#define EXPORT __attribute__((visibility("default")))
#define MAX_TRUSTED 512
#define MAX_CACHE 64

/* Settings, read once in la_version() (before any worker code). */
static char g_socket[PATH_MAX];      /* "" = no runner: every late load is denied */
static char *g_trusted[MAX_TRUSTED]; /* exact paths, or directories ending in '/' */
static unsigned g_ntrusted;
static int g_timeout_ms = 2000;
static int g_quiet; /* POD_FFI_QUIET=1: no stderr line */
static int g_debug; /* POD_FFI_DEBUG=1: trace every loader callback */

/* State, under the loader's lock. */
static int g_started;    /* 1 once the initial link map is complete */
static int g_cur_denied; /* the current search already hit a denied candidate */

/* Decisions already made, keyed by file identity (bind mounts share it). */
static struct {
	dev_t dev;
	ino_t ino;
	int allow;
	char rule[IPC_RULE_MAX + 1]; /* the rule of a deny, repeated on the next refusal */
} g_cache[MAX_CACHE];
static char g_last_rule[IPC_RULE_MAX + 1]; /* rule of the last deny said by ask_runner() */
static unsigned g_ncache;

static void read_settings(void)
{
	const char *s = getenv("POD_FFI_SOCKET");
	if (!s || !*s)
		s = getenv("POD_QUERY_SOCKET");
	if (s && strlen(s) < sizeof(g_socket))
		strcpy(g_socket, s);
	const char *t = getenv("POD_FFI_TIMEOUT_MS");
	if (t && atoi(t) > 0)
		g_timeout_ms = atoi(t);
	const char *q = getenv("POD_FFI_QUIET");
	g_quiet = q && strcmp(q, "1") == 0;
	const char *d = getenv("POD_FFI_DEBUG");
	g_debug = d && strcmp(d, "1") == 0;
	const char *list = getenv("POD_FFI_TRUSTED");
	if (!list)
		return;
	char *copy = strdup(list), *save = NULL;
	for (char *e = copy ? strtok_r(copy, ":", &save) : NULL; e && g_ntrusted < MAX_TRUSTED;
	     e = strtok_r(NULL, ":", &save))
		if (e[0] == '/')
			g_trusted[g_ntrusted++] = strdup(e);
	free(copy);
}

/* Lexical normalization of an absolute path (no ".", "..", "//"). */
static int normalize(const char *in, char *out, size_t cap)
{
	char tmp[PATH_MAX];
	if (in[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(tmp, sizeof(tmp), "%s/%s", cwd, in) >= (int)sizeof(tmp))
			return -1;
		in = tmp;
	}
	return sb_path_normalize(in, strlen(in), out, cap, 0) < 0 ? -1 : 0;
}

static int is_trusted(const char *path)
{
	for (unsigned i = 0; i < g_ntrusted; i++) {
		size_t n = strlen(g_trusted[i]);
		if (g_trusted[i][n - 1] == '/' ? strncmp(path, g_trusted[i], n) == 0
					       : strcmp(path, g_trusted[i]) == 0)
			return 1;
	}
	return 0;
}

/* The path with its directory's symlinks resolved, file name kept. */
static int canonical_dir(const char *path, char *out, size_t cap)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -1;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (!realpath(dir[0] ? dir : "/", real))
		return -1;
	return snprintf(out, cap, "%s%s", strcmp(real, "/") ? real : "", slash) < (int)cap ? 0 : -1;
}

static void say_denied(const char *lib, const char *rule)
{
	snprintf(g_last_rule, sizeof(g_last_rule), "%s", rule);
	if (!g_quiet)
		dprintf(2, "pod: ffi denied: %s (rule %s)\n", lib, rule);
}

/* Ask the runner. Returns 1 allow/warn, 0 deny (fail closed). */
static int ask_runner(const char *lib)
{
	ipc_client_t *c = NULL;
	struct ipc_verdict v;
	int ret;
	if (!g_socket[0]) {
		say_denied(lib, "no-runner: POD_FFI_SOCKET not set");
		return 0;
	}
	ret = ipc_client_connect(g_socket, (uint32_t)g_timeout_ms, &c);
	if (ret == 0)
		ret = ipc_client_query(c, "ffi", lib, &v, g_timeout_ms);
	ipc_client_close(c);
	if (ret < 0) {
		char why[96];
		snprintf(why, sizeof(why), "no-answer: %s", strerror(-ret));
		say_denied(lib, why);
		return 0;
	}
	if (v.action == IPC_ACT_ALLOW || v.action == IPC_ACT_WARN)
		return 1;
	say_denied(lib, v.rule[0] ? v.rule : "default");
	return 0;
}

/* Decide one library file. Returns 1 to load it, 0 to refuse. */
static int decide(const char *name)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	if (normalize(name, path, sizeof(path)) < 0) {
		say_denied(name, "path too long");
		return 0;
	}
	/* 1. the runtime's own libraries are never asked about (the trusted list
	 *    names them by canonical directory + file name, see runtime.h) */
	int have_real = realpath(path, real) != NULL;
	char canon[PATH_MAX];
	int have_canon = canonical_dir(path, canon, sizeof(canon)) == 0;
	if (is_trusted(path) || (have_real && is_trusted(real)) ||
	    (have_canon && is_trusted(canon)))
		return 1;
	/* 2. one question per file, however many paths lead to it */
	int have_st = stat(path, &st) == 0;
	for (unsigned i = 0; have_st && i < g_ncache; i++)
		if (g_cache[i].dev == st.st_dev && g_cache[i].ino == st.st_ino) {
			if (!g_cache[i].allow)
				say_denied(have_canon ? canon : path, g_cache[i].rule);
			return g_cache[i].allow;
		}
	/* 3. the runner decides, on the path with its directory canonical and the
	 *    file name as searched (what a policy rule names: .../libz.so.1) */
	int allow = ask_runner(have_canon ? canon : path);
	if (have_st && g_ncache < MAX_CACHE) {
		g_cache[g_ncache].dev = st.st_dev;
		g_cache[g_ncache].ino = st.st_ino;
		g_cache[g_ncache].allow = allow;
		snprintf(g_cache[g_ncache].rule, sizeof(g_cache[0].rule), "%s",
			 allow ? "" : g_last_rule);
		g_ncache++;
	}
	return allow;
}

EXPORT unsigned int la_version(unsigned int version)
{
	(void)version;
	read_settings();
	return LAV_CURRENT;
}

EXPORT void la_activity(uintptr_t *cookie, unsigned int flag)
{
	(void)cookie;
	if (g_debug)
		dprintf(2, "podaudit: activity %u\n", flag);
	if (flag == LA_ACT_CONSISTENT)
		g_started = 1;
}

EXPORT char *la_objsearch(const char *name, uintptr_t *cookie, unsigned int flag)
{
	(void)cookie;
	if (g_debug)
		dprintf(2, "podaudit: objsearch %s flag %#x started %d\n", name, flag, g_started);
	if (!g_started)
		return (char *)name; /* the initial link map: part of the runtime */
	if (flag == LA_SER_ORIG) {
		g_cur_denied = 0;
		if (!strchr(name, '/'))
			return (char *)name; /* decided on each existing candidate */
		if (access(name, F_OK) != 0)
			return (char *)name; /* nothing to load: the loader reports it */
		g_cur_denied = !decide(name);
		return g_cur_denied ? NULL : (char *)name;
	}
	if (g_cur_denied)
		return NULL; /* the same search already hit a denied file */
	if (access(name, F_OK) != 0)
		return (char *)name; /* not there: the loader moves on by itself */
	g_cur_denied = !decide(name);
	return g_cur_denied ? NULL : (char *)name;
}
