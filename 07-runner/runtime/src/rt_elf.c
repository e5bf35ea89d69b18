/*
 * rt_elf.c — find a program's shared libraries the way the dynamic loader does
 * (layer 07-runner, runtime discovery).
 *
 * Three pieces, each small enough to read in one sitting:
 *   1. rt_elf_read(): parse an ELF64 file's program headers and dynamic section
 *      with pread() and explicit bounds (the worker's files are hostile input):
 *      PT_INTERP, DT_NEEDED, DT_RPATH, DT_RUNPATH.
 *   2. The search path: DT_RPATH (when there is no DT_RUNPATH), DT_RUNPATH,
 *      /etc/ld.so.cache (parsed here: the "glibc-ld.so.cache1.1" format), then
 *      the loader's system directories. Those last ones are asked from the
 *      system loader itself (`ld.so --help` lists its "system search path"); the
 *      loader asked is the runner's own PT_INTERP, never the worker's; its answer
 *      is kept in rt_cache.c's cache, keyed by the loader file's stat.
 *   3. rt_elf_closure(): breadth-first over DT_NEEDED, deduplicated by soname
 *      (as the loader does: a name already loaded is not searched again).
 *
 * Builds on libc and <elf.h>. Used by rt_plan.c and the tests.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_internal.h"

#if defined(__x86_64__)
#define RT_EM EM_X86_64
#elif defined(__aarch64__)
#define RT_EM EM_AARCH64
#else
#error "runtime discovery knows x86_64 and aarch64"
#endif

/* Bounds for hostile files. */
#define MAX_PHNUM 256
#define MAX_DYN_BYTES (1u << 20)
#define MAX_STRTAB_BYTES (8u << 20)
#define MAX_NEEDED 512
#define MAX_CLOSURE 1024
/* Directories tried per DT_RPATH/DT_RUNPATH list: a hostile 8 MiB string of
 * ":x:x:x..." would otherwise cost millions of probes per needed name. */
#define MAX_SEARCH_DIRS 32

/* ---- 1. ELF parsing ------------------------------------------------------ */

static int pread_exact(int fd, void *buf, size_t len, uint64_t off, uint64_t fsize)
{
	if (off > fsize || len > fsize - off)
		return -ENOEXEC;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOEXEC;
		done += (size_t)n;
	}
	return 0;
}

static int check_ehdr(const Elf64_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != RT_EM ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHNUM)
		return -ENOEXEC;
	return 0;
}

/* File offset of a virtual address, through the PT_LOAD segments. */
static int vaddr_to_off(const Elf64_Phdr *ph, unsigned n, uint64_t vaddr, uint64_t *off)
{
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (vaddr >= ph[i].p_vaddr && vaddr - ph[i].p_vaddr < ph[i].p_filesz) {
			*off = ph[i].p_offset + (vaddr - ph[i].p_vaddr);
			return 0;
		}
	}
	return -ENOEXEC;
}

static int read_interp(int fd, const Elf64_Phdr *ph, uint64_t fsize, struct rt_elf *e)
{
	if (ph->p_filesz == 0 || ph->p_filesz >= sizeof(e->interp))
		return -ENOEXEC;
	int ret = pread_exact(fd, e->interp, ph->p_filesz, ph->p_offset, fsize);
	if (ret < 0)
		return ret;
	e->interp[ph->p_filesz] = '\0';
	/* must be one NUL-terminated absolute path, already normalized: it becomes
	 * a pod path as written (the kernel opens exactly it), and a hostile file
	 * must not get "/x/../.." or "//" spellings into the mount plan */
	char norm[PATH_MAX];
	if (strlen(e->interp) + 1 != ph->p_filesz || e->interp[0] != '/' ||
	    rt_path_normalize(e->interp, norm, sizeof(norm)) < 0 || strcmp(norm, e->interp) != 0)
		return -ENOEXEC;
	return 0;
}

/* A string of the dynamic string table, checked to end inside it. */
static const char *strtab_at(const char *tab, uint64_t size, uint64_t off)
{
	if (off >= size || !memchr(tab + off, '\0', size - off))
		return NULL;
	return tab + off;
}

static int read_dynamic(int fd, const Elf64_Phdr *phs, unsigned n, const Elf64_Phdr *dph,
			uint64_t fsize, struct rt_elf *e)
{
	int ret = 0;
	Elf64_Dyn *dyn = NULL;
	char *tab = NULL;
	uint64_t strtab = 0, strsz = 0, rpath = UINT64_MAX, runpath = UINT64_MAX;
	uint64_t needed[MAX_NEEDED];
	unsigned nneeded = 0;

	/* 1. the dynamic entries */
	if (dph->p_filesz > MAX_DYN_BYTES || dph->p_filesz < sizeof(Elf64_Dyn))
		return -ENOEXEC;
	size_t ndyn = dph->p_filesz / sizeof(Elf64_Dyn);
	dyn = malloc(ndyn * sizeof(*dyn));
	if (!dyn)
		return -ENOMEM;
	ret = pread_exact(fd, dyn, ndyn * sizeof(*dyn), dph->p_offset, fsize);
	if (ret < 0)
		goto cleanup;
	for (size_t i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		switch (dyn[i].d_tag) {
		case DT_NEEDED:
			if (nneeded == MAX_NEEDED) {
				ret = -ENOEXEC;
				goto cleanup;
			}
			needed[nneeded++] = dyn[i].d_un.d_val;
			break;
		case DT_STRTAB:
			strtab = dyn[i].d_un.d_ptr;
			break;
		case DT_STRSZ:
			strsz = dyn[i].d_un.d_val;
			break;
		case DT_RPATH:
			rpath = dyn[i].d_un.d_val;
			break;
		case DT_RUNPATH:
			runpath = dyn[i].d_un.d_val;
			break;
		default:
			break;
		}
	}
	if (nneeded == 0 && rpath == UINT64_MAX && runpath == UINT64_MAX)
		goto cleanup; /* nothing to look up */
	/* 2. the string table they index */
	uint64_t off;
	if (strsz == 0 || strsz > MAX_STRTAB_BYTES || vaddr_to_off(phs, n, strtab, &off) < 0) {
		ret = -ENOEXEC;
		goto cleanup;
	}
	tab = malloc(strsz);
	if (!tab) {
		ret = -ENOMEM;
		goto cleanup;
	}
	ret = pread_exact(fd, tab, strsz, off, fsize);
	if (ret < 0)
		goto cleanup;
	/* 3. copy the strings out */
	for (unsigned i = 0; i < nneeded; i++) {
		const char *s = strtab_at(tab, strsz, needed[i]);
		if (!s || !*s) {
			ret = -ENOEXEC;
			goto cleanup;
		}
		if ((ret = strv_push(&e->needed, s)) < 0)
			goto cleanup;
	}
	const char *s;
	if (rpath != UINT64_MAX && (s = strtab_at(tab, strsz, rpath)) && !(e->rpath = strdup(s)))
		ret = -ENOMEM;
	if (runpath != UINT64_MAX && (s = strtab_at(tab, strsz, runpath)) &&
	    !(e->runpath = strdup(s)))
		ret = -ENOMEM;
cleanup:
	free(dyn);
	free(tab);
	return ret;
}

int rt_elf_read(const char *path, struct rt_elf *e)
{
	memset(e, 0, sizeof(*e));
	/* Hostile names (DT_NEEDED, PT_INTERP) reach this: regular files only. */
	int fd = rt_open_regular(path);
	if (fd < 0)
		return fd;
	int ret = rt_elf_read_fd(fd, e);
	close(fd);
	return ret;
}

int rt_elf_read_fd(int fd, struct rt_elf *e)
{
	int ret = 0;
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHNUM];
	struct stat st;

	memset(e, 0, sizeof(*e));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = -ENOEXEC;
		goto cleanup;
	}
	uint64_t fsize = (uint64_t)st.st_size;
	if ((ret = pread_exact(fd, &eh, sizeof(eh), 0, fsize)) < 0 || (ret = check_ehdr(&eh)) < 0)
		goto cleanup;
	if ((ret = pread_exact(fd, ph, eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff, fsize)) < 0)
		goto cleanup;
	e->type = eh.e_type;
	int ninterp = 0, ndynamic = 0;
	for (unsigned i = 0; i < eh.e_phnum && ret == 0; i++) {
		/* the loader takes one of each; two is a malformed (or hostile) file */
		if (ph[i].p_type == PT_INTERP)
			ret = ninterp++ ? -ENOEXEC : read_interp(fd, &ph[i], fsize, e);
		else if (ph[i].p_type == PT_DYNAMIC)
			ret = ndynamic++ ? -ENOEXEC
					 : read_dynamic(fd, ph, eh.e_phnum, &ph[i], fsize, e);
	}
cleanup:
	if (ret < 0)
		rt_elf_clear(e);
	return ret;
}

void rt_elf_clear(struct rt_elf *e)
{
	strv_free(&e->needed);
	free(e->rpath);
	free(e->runpath);
	e->rpath = e->runpath = NULL;
	e->interp[0] = '\0';
}

/* ---- 2a. /etc/ld.so.cache -------------------------------------------------- */

/* The "new" cache format of glibc (the only one glibc >= 2.32 writes). */
#define LDCACHE_PATH "/etc/ld.so.cache"
#define CACHE_MAGIC "glibc-ld.so.cache1.1"
struct cache_hdr {
	char magic[20]; /* "glibc-ld.so.cache" "1.1" */
	uint32_t nlibs;
	uint32_t len_strings;
	uint8_t flags;
	uint8_t pad[3];
	uint32_t extension_offset;
	uint32_t unused[3];
};
struct cache_entry {
	int32_t flags;
	uint32_t key, value; /* string offsets from the start of the file */
	uint32_t osversion;
	uint64_t hwcap;
};
#define CACHE_FLAG_ELF_LIBC6 0x0003
#define CACHE_HWCAP_EXTENSION (1ull << 62)

static char *g_cache; /* whole file, NUL-terminated copy; NULL when absent */
static size_t g_cache_len;

static void cache_load(void)
{
	FILE *f = fopen(LDCACHE_PATH, "re");
	if (!f)
		return;
	char *buf = malloc(64u << 20);
	size_t n = buf ? fread(buf, 1, (64u << 20) - 1, f) : 0;
	fclose(f);
	if (!buf || n < sizeof(struct cache_hdr) || memcmp(buf, CACHE_MAGIC, 20) != 0) {
		free(buf);
		return;
	}
	buf[n] = '\0';
	const struct cache_hdr *h = (const void *)buf;
	if (h->nlibs > (n - sizeof(*h)) / sizeof(struct cache_entry)) {
		free(buf);
		return;
	}
	g_cache = buf;
	g_cache_len = n;
}

/* Look @p name up in the cache; the first plain (non-hwcaps) libc6 entry wins. */
static int cache_lookup(const char *name, char *out, size_t cap)
{
	if (!g_cache)
		return -ENOENT;
	const struct cache_hdr *h = (const void *)g_cache;
	const struct cache_entry *ent = (const void *)(g_cache + sizeof(*h));
	for (uint32_t i = 0; i < h->nlibs; i++) {
		if ((ent[i].flags & 0xff) != CACHE_FLAG_ELF_LIBC6 ||
		    (ent[i].hwcap & CACHE_HWCAP_EXTENSION))
			continue;
		if (ent[i].key >= g_cache_len || ent[i].value >= g_cache_len)
			continue;
		if (strcmp(g_cache + ent[i].key, name) != 0)
			continue;
		/* strings are NUL-terminated: the copy ends with one */
		if (strlen(g_cache + ent[i].value) >= cap)
			return -ENAMETOOLONG;
		strcpy(out, g_cache + ent[i].value);
		return 0;
	}
	return -ENOENT;
}

/* ---- 2b. the loader's system search path ----------------------------------- */

static struct strv g_sysdirs;

/* Ask @p interp (`ld.so --help`) for its "system search path" lines. */
static void sysdirs_ask(const char *interp)
{
	char cmd[PATH_MAX + 32], line[PATH_MAX + 64];
	if (strpbrk(interp, "'\\\"$`"))
		return;
	snprintf(cmd, sizeof(cmd), "'%s' --help 2>/dev/null", interp);
	FILE *p = popen(cmd, "re");
	while (p && fgets(line, sizeof(line), p)) {
		char dir[PATH_MAX];
		if (sscanf(line, " %4095s (system search path)", dir) == 1 &&
		    strstr(line, "(system search path)") && dir[0] == '/')
			strv_push(&g_sysdirs, dir);
	}
	if (p)
		pclose(p);
}

/*
 * A cached answer: one absolute, normalized directory per line, at most
 * MAX_SEARCH_DIRS of them. Anything else is refused as a whole.
 */
static int sysdirs_parse(char *body)
{
	char *save = NULL, norm[PATH_MAX];
	struct strv dirs = { 0 };
	int ret = 0;
	for (char *l = strtok_r(body, "\n", &save); l && ret == 0;
	     l = strtok_r(NULL, "\n", &save)) {
		if (l[0] != '/' || rt_path_normalize(l, norm, sizeof(norm)) < 0 ||
		    (strcmp(norm, l) != 0 &&
		     !(strlen(l) == strlen(norm) + 1 && strncmp(norm, l, strlen(norm)) == 0)) ||
		    dirs.n >= MAX_SEARCH_DIRS)
			ret = -EIO;
		else
			ret = strv_push(&dirs, l);
	}
	if (ret == 0 && dirs.n == 0)
		ret = -EIO;
	if (ret == 0) {
		strv_free(&g_sysdirs);
		g_sysdirs = dirs;
	} else {
		strv_free(&dirs);
	}
	return ret;
}

/*
 * Ask the loader that runs this process (its path is our own PT_INTERP) — or
 * reuse its answer from the cache while the loader file is the same one.
 */
static void sysdirs_from_loader(void)
{
	struct rt_elf self;
	char exe[PATH_MAX], key[PATH_MAX + 160], name[200], body[8192];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if (rt_elf_read(exe, &self) < 0)
		return;
	if (!self.interp[0])
		goto cleanup;
	/* 1. the cached answer, if it is for this very loader file */
	int have_key = rt_cache_key(self.interp, key, sizeof(key)) == 0;
	rt_cache_name("ldso-", self.interp, name, sizeof(name));
	if (have_key && rt_cache_get(name, key, body, sizeof(body)) == 0 &&
	    sysdirs_parse(body) == 0)
		goto cleanup;
	/* 2. otherwise ask, and keep the answer */
	sysdirs_ask(self.interp);
	size_t used = 0;
	body[0] = '\0';
	for (size_t i = 0; i < g_sysdirs.n && used < sizeof(body); i++)
		used += (size_t)snprintf(body + used, sizeof(body) - used, "%s\n", g_sysdirs.v[i]);
	if (have_key && g_sysdirs.n > 0 && used < sizeof(body))
		rt_cache_put(name, key, body);
cleanup:
	rt_elf_clear(&self);
}

static void search_init(void)
{
	cache_load();
	sysdirs_from_loader();
	if (g_sysdirs.n == 0) {
		/* Fallback when the loader could not tell (static runner, other libc):
		 * glibc's built-in list on a multiarch system. */
#if defined(__x86_64__)
		strv_push(&g_sysdirs, "/lib/x86_64-linux-gnu");
		strv_push(&g_sysdirs, "/usr/lib/x86_64-linux-gnu");
#else
		strv_push(&g_sysdirs, "/lib/aarch64-linux-gnu");
		strv_push(&g_sysdirs, "/usr/lib/aarch64-linux-gnu");
#endif
		strv_push(&g_sysdirs, "/lib64");
		strv_push(&g_sysdirs, "/usr/lib64");
		strv_push(&g_sysdirs, "/lib");
		strv_push(&g_sysdirs, "/usr/lib");
	}
}

static pthread_once_t g_search_once = PTHREAD_ONCE_INIT;

/* ---- 2c. searching one name ------------------------------------------------ */

/* Whether @p path is a loadable ELF for this machine (what the loader checks). */
static int loadable(const char *path)
{
	struct rt_elf e;
	if (access(path, F_OK) != 0 || rt_elf_read(path, &e) < 0)
		return 0;
	rt_elf_clear(&e);
	return 1;
}

/* Try each directory of a ':'-separated list, expanding $ORIGIN. */
static int search_list(const char *list, const char *origin, const char *name, char *out,
		       size_t cap)
{
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return -ENOMEM;
	int ret = -ENOENT;
	unsigned tried = 0;
	for (char *d = strtok_r(copy, ":", &save); d && ret == -ENOENT && tried++ < MAX_SEARCH_DIRS;
	     d = strtok_r(NULL, ":", &save)) {
		char dir[PATH_MAX], cand[PATH_MAX];
		const char *rest = NULL;
		if (strncmp(d, "$ORIGIN", 7) == 0)
			rest = d + 7;
		else if (strncmp(d, "${ORIGIN}", 9) == 0)
			rest = d + 9;
		if (rest) {
			if (snprintf(dir, sizeof(dir), "%s%s", origin, rest) >= (int)sizeof(dir))
				continue;
		} else if (d[0] == '/' && !strchr(d, '$')) {
			snprintf(dir, sizeof(dir), "%s", d);
		} else {
			continue; /* $LIB, $PLATFORM, relative: not supported, skipped */
		}
		char norm[PATH_MAX];
		if (rt_path_join(dir, name, cand, sizeof(cand)) < 0 ||
		    rt_path_normalize(cand, norm, sizeof(norm)) < 0)
			continue;
		if (loadable(norm)) {
			snprintf(out, cap, "%s", norm);
			ret = 0;
		}
	}
	free(copy);
	return ret;
}

/* One DT_NEEDED name, as requested by an object with these paths. */
static int search(const char *name, const struct rt_elf *obj, const char *origin,
		  const char *exe_rpath, char *out, size_t cap)
{
	int ret;
	if (strchr(name, '/')) {
		char norm[PATH_MAX];
		if (name[0] != '/')
			return -ENOENT; /* relative to the pod's cwd: cannot be planned */
		if (rt_path_normalize(name, norm, sizeof(norm)) < 0 || !loadable(norm))
			return -ENOENT;
		snprintf(out, cap, "%s", norm);
		return 0;
	}
	/* 1. DT_RPATH of the object, then of the executable, unless it has DT_RUNPATH */
	if (!obj->runpath) {
		if (obj->rpath &&
		    (ret = search_list(obj->rpath, origin, name, out, cap)) != -ENOENT)
			return ret;
		if (exe_rpath && (ret = search_list(exe_rpath, origin, name, out, cap)) != -ENOENT)
			return ret;
	}
	/* 2. DT_RUNPATH */
	if (obj->runpath && (ret = search_list(obj->runpath, origin, name, out, cap)) != -ENOENT)
		return ret;
	/* 3. the cache */
	if (cache_lookup(name, out, cap) == 0 && loadable(out)) {
		char dir[PATH_MAX];
		rt_path_dirname(out, dir, sizeof(dir));
		/* found only through the cache: the pod needs the cache file too */
		return strv_contains(&g_sysdirs, dir) ? 0 : 1;
	}
	/* 4. the system directories */
	for (size_t i = 0; i < g_sysdirs.n; i++) {
		char cand[PATH_MAX];
		if (rt_path_join(g_sysdirs.v[i], name, cand, sizeof(cand)) == 0 && loadable(cand)) {
			snprintf(out, cap, "%s", cand);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- 3. the closure ---------------------------------------------------------- */

/*
 * Where a library appears inside the pod: its directory with symlinks resolved
 * (merged /usr: /lib/x86_64-linux-gnu -> /usr/lib/x86_64-linux-gnu), its file
 * name as the loader looks it up (libz.so.1, not libz.so.1.2.13). The pod has
 * no /lib symlink; the loader still finds the file in the next system
 * directory, and a policy rule written as /usr/lib/.../libz.so.1 matches what
 * the FFI gates ask about. Only PT_INTERP keeps its literal path: the kernel
 * opens exactly that.
 */
static int canonical_dir(char *path, size_t cap)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *base = strrchr(path, '/');
	if (!base || rt_path_dirname(path, dir, sizeof(dir)) < 0)
		return -EINVAL;
	if (!realpath(dir, real))
		return -errno;
	char out[PATH_MAX];
	if (rt_path_join(real, base + 1, out, sizeof(out)) < 0 || strlen(out) >= cap)
		return -ENAMETOOLONG;
	strcpy(path, out);
	return 0;
}

struct node {
	char found[PATH_MAX];
	char real[PATH_MAX];
};

static int report(struct node *nodes, size_t *n, const char *found,
		  void (*cb)(const char *, const char *, void *), void *arg)
{
	char real[PATH_MAX];
	if (!realpath(found, real))
		return -errno;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(nodes[i].found, found) == 0)
			return 0;
	if (*n == MAX_CLOSURE)
		return -ELOOP;
	snprintf(nodes[*n].found, PATH_MAX, "%s", found);
	snprintf(nodes[*n].real, PATH_MAX, "%s", real);
	(*n)++;
	if (cb)
		cb(found, real, arg);
	return 1;
}

int rt_elf_closure(const char *path, void (*cb)(const char *found, const char *real, void *arg),
		   void *arg, struct rt_error *err)
{
	int ret = 0;
	struct node *nodes = NULL;
	size_t n = 0, next = 0;
	struct strv sonames = { 0 };
	char *exe_rpath = NULL;
	int cache_reported = 0;

	pthread_once(&g_search_once, search_init);
	/* 8 MiB of room, but every node is written before it is read: malloc,
	 * not calloc, which clears all of it (2,000 page faults per closure once
	 * the heap reuses the block) */
	nodes = malloc(MAX_CLOSURE * sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	/* 1. the root object itself (not reported: the caller mounts it) */
	snprintf(nodes[0].found, PATH_MAX, "%s", path);
	if (!realpath(path, nodes[0].real)) {
		ret = rt_fail(err, -errno, "%s: %s", path, strerror(errno));
		goto cleanup;
	}
	n = 1;
	/* 2. breadth-first: each object's interpreter and needed libraries */
	for (next = 0; next < n; next++) {
		struct rt_elf e;
		char origin[PATH_MAX];
		ret = rt_elf_read(nodes[next].real, &e);
		if (ret < 0) {
			ret = rt_fail(err, ret, "%s: not an ELF file of this machine (%s)",
				      nodes[next].found, strerror(-ret));
			goto cleanup;
		}
		if (next == 0 && e.rpath && !(exe_rpath = strdup(e.rpath)))
			ret = -ENOMEM;
		rt_path_dirname(nodes[next].real, origin, sizeof(origin));
		if (ret == 0 && e.interp[0]) {
			if (!loadable(e.interp))
				ret = rt_fail(err, -ENOENT,
					      "%s: interpreter %s is missing or not loadable",
					      nodes[next].found, e.interp);
			else
				ret = report(nodes, &n, e.interp, cb, arg);
		}
		for (size_t i = 0; ret >= 0 && i < e.needed.n; i++) {
			char found[PATH_MAX];
			if (strv_contains(&sonames, e.needed.v[i]))
				continue; /* already loaded under that name */
			ret = search(e.needed.v[i], &e, origin, next == 0 ? NULL : exe_rpath, found,
				     sizeof(found));
			if (ret < 0) {
				ret = rt_fail(err, ret, "%s: needed library %s not found",
					      nodes[next].found, e.needed.v[i]);
				break;
			}
			if (ret == 1) {
				if (!cache_reported && cb)
					cb(LDCACHE_PATH, LDCACHE_PATH, arg);
				cache_reported = 1;
				ret = 0;
			}
			if (ret >= 0 && (ret = strv_push(&sonames, e.needed.v[i])) == 0 &&
			    (ret = canonical_dir(found, sizeof(found))) == 0)
				ret = report(nodes, &n, found, cb, arg);
		}
		rt_elf_clear(&e);
		if (ret < 0)
			goto cleanup;
	}
	ret = (int)n - 1;
cleanup:
	free(nodes);
	free(exe_rpath);
	strv_free(&sonames);
	return ret;
}
