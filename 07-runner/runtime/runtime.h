/**
 * @file
 * runtime.h — worker runtime discovery for layer 07-runner (prefix rt_).
 *
 * Layer 07 (part of the runner; no dependency on any other layer). Given the
 * PROGRAM a user asked podrun to run, it decides the worker kind and computes
 * everything the pod needs to run it, read from the machine itself instead of a
 * hard-coded list of paths:
 *
 *   - the argv to exec inside the pod, and environment additions;
 *   - the read-only bind mounts (host path -> pod path, files and directories):
 *     the ELF interpreter (PT_INTERP) and the DT_NEEDED closure resolved the way
 *     the dynamic loader does (DT_RPATH/DT_RUNPATH with $ORIGIN, /etc/ld.so.cache,
 *     the loader's own system search path), Python's stdlib and site dirs as the
 *     trusted system interpreter reports them, Bun's real binary, and the
 *     project's own in-pod files (SDKs, libring.so, the pod host, the LD_AUDIT
 *     library);
 *   - the paths the worker may execute (for Landlock EXECUTE / the run policy);
 *   - the libraries the FFI gates treat as part of the runtime (POD_FFI_TRUSTED):
 *     the interpreter's (or pod host's) own libraries, the extension modules of
 *     Python's stdlib with their libraries, libring.so, and a C-lib worker's own
 *     .so — never a C-lib's dependencies, which FFI policy decides.
 *
 * Used by 07-runner's spawn step (src/), by the `podrt` tool (prints a plan, or
 * bubblewrap arguments for the benchmarks and tests) and by the tests.
 *
 * In-pod layout (fixed; the runner mounts the socket directory itself):
 *
 *     /pod/app            the worker's own directory (ro) — cwd of the worker
 *     /pod/bin/podhost    the C-lib pod host        /pod/bin/bun   Bun's binary
 *     /pod/lib/libring.so 01-ring for ctypes/bun:ffi /pod/lib/libpodaudit.so  LD_AUDIT
 *     /pod/sdk/python     02-ipc Python SDK (package `pod`)
 *     /pod/sdk/bun        02-ipc Bun SDK (pod.ts); the preload makes `import "pod"` it
 *     /pod/sdk/boot       podboot.py (Python bootstrap + FFI hook), podpreload.ts
 *                         (Bun preload: the "pod" module + FFI hook)
 *     system files        interpreter, libraries, Python stdlib: at their host path
 *
 * All mounts are read-only and must stay EXECUTABLE (no noexec): the loader maps
 * libraries with PROT_EXEC.
 *
 * Errors: 0 on success, a negative errno on failure (docs/conventions.md, "Errors"); the
 * optional struct rt_error says which file or step failed.
 */
#ifndef POD_RUNTIME_H
#define POD_RUNTIME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Pod path of the worker's own directory. */
#define RT_POD_APP "/pod/app"
/** Pod path of the pod host binary (C-lib workers). */
#define RT_POD_PODHOST "/pod/bin/podhost"
/** Pod path of Bun's binary. */
#define RT_POD_BUN "/pod/bin/bun"
/** Pod path of 01-ring's shared library (POD_RING_LIB). */
#define RT_POD_RING_LIB "/pod/lib/libring.so"
/** Pod path of the LD_AUDIT library. */
#define RT_POD_AUDIT_LIB "/pod/lib/libpodaudit.so"
/** Pod path of the Python SDK directory (holds the package `pod`). */
#define RT_POD_SDK_PYTHON "/pod/sdk/python"
/** Pod path of the Bun SDK directory. */
#define RT_POD_SDK_BUN "/pod/sdk/bun"
/** Pod path of the FFI bootstrap directory (podboot.py, podpreload.ts). */
#define RT_POD_BOOT "/pod/sdk/boot"

/** Worker kinds (docs/contracts.md, "Command line"). */
enum rt_kind {
	RT_KIND_NATIVE = 0, /**< any other executable (ELF or #! script) */
	RT_KIND_PYTHON = 1, /**< *.py, run by the system python3 */
	RT_KIND_BUN = 2,    /**< *.js, *.ts, *.mjs, run by the project's Bun */
	RT_KIND_CLIB = 3,   /**< *.so, loaded by the pod host */
};

/** One read-only bind mount of the plan. */
struct rt_mount {
	const char *host; /**< absolute host path, symlinks resolved */
	const char *pod;  /**< absolute path inside the pod */
	int is_dir;       /**< 1 for a directory, 0 for a file */
};

/** Inputs of rt_plan_new(); start from rt_config_init(). */
struct rt_config {
	const char *top;    /**< project root (a build tree or PREFIX/lib/podrun); NULL: rt_top() */
	const char *python; /**< Python interpreter; NULL: "/usr/bin/python3" */
	const char *bun;    /**< Bun; NULL: "<top>/.deps/bun/node_modules/.bin/bun", else
	                               "bun" in search_path */
	const char *podhost; /**< pod host; NULL: "<top>/07-runner/podhost/build/podhost" */
	const char
	    *audit_lib; /**< LD_AUDIT library; NULL: "<top>/07-runner/ldaudit/build/libpodaudit.so";
	                               "" disables LD_AUDIT and the FFI hooks */
	const char *ring_lib;     /**< libring.so; NULL: "<top>/01-ring/build/libring.so" */
	const char *python_sdk;   /**< Python SDK directory; NULL: "<top>/02-ipc/python" (mounted
	                               when present); a given path must exist */
	const char *bun_sdk;      /**< Bun SDK directory; NULL: "<top>/02-ipc/bun" (mounted when
	                               present); a given path must exist */
	const char *ffi_socket;   /**< pod path of the runner's FFI query socket (POD_FFI_SOCKET);
	                               NULL: not set (the FFI gates then deny every late load) */
	char *const *worker_args; /**< NULL-terminated; inserted right after the program
	                               (e.g. "--pod-socket=...", "--pod-shm-fd=3"); NULL: none */
	const char
	    *search_path; /**< PATH for a bare program name; NULL: POL_DEFAULT_PATH (policy.h) */
};

/** Error detail filled by rt_plan_new(). */
struct rt_error {
	char msg[384]; /**< NUL-terminated sentence naming the file or step; "" when none */
};

/** A computed plan. Opaque. */
typedef struct rt_plan rt_plan_t;

/**
 * The project root this code belongs to: the nearest ancestor directory of the
 * running executable (or of the shared library holding this code) that has
 * 02-ipc/ and 07-runner/ in it. A build tree and an installed tree
 * (PREFIX/lib/podrun) have that shape; no path is compiled in, so a moved or
 * installed copy uses its own files.
 * @param out receives the absolute path, without a trailing '/'
 * @param cap size of @p out
 * @return 0; -ENOENT no such ancestor; -ENAMETOOLONG
 */
int rt_top(char *out, size_t cap);

/**
 * A path under rt_top(): "<top>/<rel>".
 * @param rel relative path, e.g. "07-runner/ldaudit/build/libpodaudit.so"
 * @param out receives the path
 * @param cap size of @p out
 * @return 0, or rt_top()'s error
 */
int rt_top_path(const char *rel, char *out, size_t cap);

/**
 * Fill @p c with the defaults (every field NULL).
 * @param c the configuration to initialise
 */
void rt_config_init(struct rt_config *c);

/**
 * Worker kind of a program name, from its extension only.
 * @param program the program as given by the user
 * @return an enum rt_kind value
 */
enum rt_kind rt_kind_of(const char *program);

/**
 * Name of a kind: "native", "python", "bun" or "clib" ("?" when unknown).
 * @param kind an enum rt_kind value
 * @return a static string
 */
const char *rt_kind_name(enum rt_kind kind);

/**
 * Compute the plan for @p program. The program's own files are untrusted input
 * (its ELF headers are parsed with bounds checks; nothing of it is executed).
 * @param cfg     configuration (NULL: defaults)
 * @param program the script, library or executable (a bare name is looked up in
 *                cfg->search_path)
 * @param args    NULL-terminated worker arguments after the program (NULL: none)
 * @param out     receives the plan
 * @param err     optional; filled with a sentence on failure
 * @return 0; -ENOENT program or a required file missing; -ENOEXEC not an ELF of
 *         this machine (or a #! line that cannot be followed); -EACCES native
 *         program not executable; -ELOOP too deep a library or #! chain;
 *         -EIO the Python interpreter did not describe itself; -ENOMEM
 */
int rt_plan_new(const struct rt_config *cfg, const char *program, char *const args[],
		rt_plan_t **out, struct rt_error *err);

/**
 * The worker kind of the plan.
 * @param p the plan
 * @return an enum rt_kind value
 */
enum rt_kind rt_plan_kind(const rt_plan_t *p);

/**
 * The argv to exec inside the pod; argv[0] is the pod path of the executable.
 * @param p the plan
 * @return NULL-terminated vector owned by @p p
 */
char *const *rt_plan_argv(const rt_plan_t *p);

/**
 * Environment additions ("NAME=value"), e.g. LD_AUDIT, POD_FFI_SOCKET,
 * POD_FFI_TRUSTED, POD_RING_LIB, PYTHONPATH. The runner adds them to the
 * scrubbed environment (they are infrastructure, not user variables).
 * @param p the plan
 * @return NULL-terminated vector owned by @p p
 */
char *const *rt_plan_env(const rt_plan_t *p);

/**
 * The read-only bind mounts, in an order that can be applied as is (parents
 * before children). Pod paths are unique.
 * @param p the plan
 * @param out receives the array (owned by @p p)
 * @return the number of entries
 */
size_t rt_plan_mounts(const rt_plan_t *p, const struct rt_mount **out);

/**
 * Pod paths the worker must be allowed to execute: the program (or its
 * interpreter) and the ELF interpreter(s).
 * @param p the plan
 * @return NULL-terminated vector owned by @p p
 */
char *const *rt_plan_exec_paths(const rt_plan_t *p);

/**
 * Pod paths the FFI gates treat as part of the runtime (never asked about):
 * exact files, or directories when the entry ends in '/'. Also in the
 * environment as POD_FFI_TRUSTED (colon-separated).
 * @param p the plan
 * @return NULL-terminated vector owned by @p p
 */
char *const *rt_plan_ffi_trusted(const rt_plan_t *p);

/**
 * Working directory for the worker inside the pod (RT_POD_APP).
 * @param p the plan
 * @return a string owned by @p p
 */
const char *rt_plan_cwd(const rt_plan_t *p);

/**
 * The program as found on the host (absolute, symlinks resolved).
 * @param p the plan
 * @return a string owned by @p p
 */
const char *rt_plan_program(const rt_plan_t *p);

/**
 * Map a pod path back to the host file it shows, through the plan's mounts
 * (the longest mount prefix wins), then resolve symlinks on the host. The
 * runner uses it to canonicalize an FFI request before deciding on it.
 * @param p the plan
 * @param pod_path absolute pod path (untrusted: from the pod)
 * @param out receives the host path
 * @param cap size of @p out
 * @return 0; -ENOENT not under any mount of the plan, or missing on the host;
 *         -EINVAL not absolute or containing ".."; -ENAMETOOLONG
 */
int rt_plan_host_path(const rt_plan_t *p, const char *pod_path, char *out, size_t cap);

/**
 * Free a plan. NULL ok.
 * @param p the plan
 */
void rt_plan_free(rt_plan_t *p);

/**
 * Resolve the libraries an ELF file needs, as the loader would: the
 * interpreter (PT_INTERP) and the transitive DT_NEEDED closure. Exposed for the
 * tests and the `podrt` tool.
 * @param path the ELF file (untrusted)
 * @param cb called once per distinct file: @p found is the path the loader
 *           opens (pod path), @p real the host file behind it
 * @param arg passed to @p cb
 * @param err optional error detail
 * @return number of files reported; -ENOENT a needed library was not found
 *         (@p err names it); -ENOEXEC; -ELOOP; -ENOMEM
 */
int rt_elf_closure(const char *path, void (*cb)(const char *found, const char *real, void *arg),
		   void *arg, struct rt_error *err);

/**
 * Normalize an absolute path lexically: no ".", no "//", no trailing "/";
 * ".." drops the name before it and stays at the root. The one normalizer of
 * 07-runner (the runner's view of pod paths uses it too). No file is touched.
 * @param in an absolute path (untrusted)
 * @param out receives the normalized path
 * @param cap size of @p out
 * @return 0; -EINVAL not absolute; -ENAMETOOLONG
 */
int rt_path_normalize(const char *in, char *out, size_t cap);

/**
 * Whether @p path equals @p dir or lies beneath it, by whole names ("/a/bc"
 * is not under "/a/b"). Both normalized; "/" holds every absolute path.
 * @param path a normalized path
 * @param dir a normalized directory
 * @return 1 or 0
 */
int rt_path_under(const char *path, const char *dir);

#ifdef __cplusplus
}
#endif
#endif /* POD_RUNTIME_H */
