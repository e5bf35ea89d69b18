/*
 * shm.c — the shared-memory object behind the rings: create, attach, unlink,
 * destroy, and the validation of a header written by someone else.
 *
 * Layer 01-ring. Builds on POSIX shared memory (shm_open, ftruncate, mmap)
 * and, for the sealed variant, on memfd_create + F_ADD_SEALS.
 * The data path on top of the mapping is src/ring.c. Used by 02-ipc and
 * 07-runner through include/ring.h.
 *
 * Every mapping is surrounded by two PROT_NONE guard pages: a bug that walks
 * off either end of the object faults at once instead of touching a
 * neighbouring heap or library mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring.h"
#include "ring_layout.h"

#define RING_NAME_MAX 48
#define RING_GUARD 4096u

struct ring_shm {
	struct ring ring[2];  /* private handles, one per direction (first: alignment) */
	struct ring_hdr *hdr; /* start of the object in our address space */
	uint8_t *map_base;    /* start of the reservation, guard page included */
	size_t map_len;       /* guard + object + guard */
	uint32_t cap;         /* trusted, validated capacity */
	int fd;               /* owned descriptor of the object */
	int owner;            /* we created it: destroy unlinks a remaining name */
	int named;            /* name[] still exists in /dev/shm (as far as we know) */
	char name[RING_NAME_MAX];
};

static size_t object_size(uint32_t cap)
{
	return (size_t)RING_HDR_SIZE + 2 * (size_t)cap;
}

static int capacity_ok(uint32_t cap)
{
	return cap >= RING_MIN_CAPACITY && cap <= RING_MAX_CAPACITY && (cap & (cap - 1)) == 0;
}

/*
 * Map @p size bytes of @p fd between two guard pages. The PROT_NONE
 * reservation is made first, then the object is mapped over its middle with
 * MAP_FIXED (safe: we own that address range).
 */
static int map_guarded(struct ring_shm *shm, int fd, size_t size)
{
	size_t len = size + 2 * RING_GUARD;
	uint8_t *base =
	    mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	void *obj =
	    mmap(base + RING_GUARD, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (obj == MAP_FAILED) {
		int err = -errno;
		munmap(base, len);
		return err;
	}
	shm->map_base = base;
	shm->map_len = len;
	shm->hdr = obj;
	return 0;
}

/* A fresh, unguessable name: "/pod-ring-<pid>-<64 random bits in hex>". */
static int random_name(char *buf, size_t len)
{
	uint64_t rnd;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	snprintf(buf, len, "/pod-ring-%d-%016llx", (int)getpid(), (unsigned long long)rnd);
	return 0;
}

static struct ring_shm *shm_alloc(void)
{
	struct ring_shm *shm =
	    aligned_alloc(RING_LINE, (sizeof(*shm) + RING_LINE - 1) & ~(size_t)(RING_LINE - 1));
	if (!shm)
		return NULL;
	memset(shm, 0, sizeof(*shm));
	shm->fd = -1;
	return shm;
}

static int init_rings(struct ring_shm *shm)
{
	for (int d = 0; d < 2; d++) {
		int ret = ringpriv_init(&shm->ring[d], shm->hdr, shm->cap, (enum ring_dir)d);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Open a new shm_open() object under a random name, never an existing one (O_EXCL). */
static int open_named(struct ring_shm *shm)
{
	int ret = -EEXIST;
	for (int tries = 0; tries < 16 && shm->fd < 0; tries++) {
		if ((ret = random_name(shm->name, sizeof(shm->name))) < 0)
			return ret;
		shm->fd = shm_open(shm->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (shm->fd < 0 && (ret = -errno) != -EEXIST)
			return ret;
	}
	if (shm->fd < 0)
		return ret;
	shm->owner = 1;
	shm->named = 1;
	return 0;
}

/* Open an anonymous memfd that may be sealed once it has its size. */
static int open_sealable(struct ring_shm *shm)
{
	shm->fd = memfd_create("pod-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return shm->fd < 0 ? -errno : 0;
}

/*
 * Shared steps of both create functions: open the object, give it its size,
 * optionally seal the size, map it and write the header.
 */
static int create_object(uint32_t capacity, int sealed, ring_shm_t **out)
{
	struct ring_shm *shm = NULL;
	int ret;

	if (!out || !capacity_ok(capacity))
		return -EINVAL;
	if (!(shm = shm_alloc()))
		return -ENOMEM;
	shm->cap = capacity;

	/* 1. a new object nobody else has opened yet */
	if ((ret = sealed ? open_sealable(shm) : open_named(shm)) < 0)
		goto cleanup;

	/* 2. its size (the new pages read as zero: counters start at 0), sealed if asked */
	if (ftruncate(shm->fd, (off_t)object_size(capacity)) < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (sealed && fcntl(shm->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		ret = -errno;
		goto cleanup;
	}

	/* 3. the mapping, between guard pages */
	if ((ret = map_guarded(shm, shm->fd, object_size(capacity))) < 0)
		goto cleanup;

	/* 4. the immutable header line; nobody else can have mapped it yet */
	shm->hdr->version = RING_VERSION;
	shm->hdr->capacity = capacity;
	shm->hdr->data_offset = RING_HDR_SIZE;
	shm->hdr->magic = RING_MAGIC;

	/* 5. private handles */
	if ((ret = init_rings(shm)) < 0)
		goto cleanup;
	*out = shm;
	return 0;

cleanup:
	ring_shm_destroy(shm);
	return ret;
}

int ring_shm_create(uint32_t capacity, ring_shm_t **out)
{
	return create_object(capacity, 0, out);
}

int ring_shm_create_sealed(uint32_t capacity, ring_shm_t **out)
{
	return create_object(capacity, 1, out);
}

/*
 * Check the header of an object someone else created against the size the
 * kernel reports. Each shared field is read exactly once into a local; only
 * the locals are used afterwards.
 */
static int validate_header(const struct ring_hdr *hdr, size_t size, uint32_t *cap_out)
{
	uint64_t magic = __atomic_load_n(&hdr->magic, __ATOMIC_RELAXED);
	uint32_t version = __atomic_load_n(&hdr->version, __ATOMIC_RELAXED);
	uint32_t cap = __atomic_load_n(&hdr->capacity, __ATOMIC_RELAXED);
	uint32_t data_offset = __atomic_load_n(&hdr->data_offset, __ATOMIC_RELAXED);

	if (magic != RING_MAGIC || version != RING_VERSION || data_offset != RING_HDR_SIZE)
		return -EPROTO;
	if (!capacity_ok(cap) || object_size(cap) != size)
		return -EPROTO;
	*cap_out = cap;
	return 0;
}

int ring_shm_attach_fd(int fd, ring_shm_t **out)
{
	struct ring_shm *shm = NULL;
	struct stat st;
	int ret;

	if (!out || fd < 0)
		return -EINVAL;
	if (!(shm = shm_alloc()))
		return -ENOMEM;

	/* 1. our own descriptor, so the caller may close theirs */
	if ((shm->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		ret = -errno;
		goto cleanup;
	}
	/* 2. the real size, bounded before it is used to map anything */
	if (fstat(shm->fd, &st) < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (st.st_size < (off_t)object_size(RING_MIN_CAPACITY) ||
	    st.st_size > (off_t)object_size(RING_MAX_CAPACITY)) {
		ret = -EPROTO;
		goto cleanup;
	}
	/* 3. map it all, then check that the header describes exactly this size */
	if ((ret = map_guarded(shm, shm->fd, (size_t)st.st_size)) < 0)
		goto cleanup;
	if ((ret = validate_header(shm->hdr, (size_t)st.st_size, &shm->cap)) < 0)
		goto cleanup;
	/* 4. private handles, starting from the counters as they are now */
	if ((ret = init_rings(shm)) < 0)
		goto cleanup;
	*out = shm;
	return 0;

cleanup:
	ring_shm_destroy(shm);
	return ret;
}

int ring_shm_attach_name(const char *name, ring_shm_t **out)
{
	int fd, ret;

	if (!name || !out || name[0] != '/' || strlen(name) >= RING_NAME_MAX)
		return -EINVAL;
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ring_shm_attach_fd(fd, out);
	close(fd);
	if (ret < 0)
		return ret;
	strcpy((*out)->name, name);
	(*out)->named = 1;
	return 0;
}

int ring_shm_unlink(ring_shm_t *shm)
{
	if (!shm)
		return -EINVAL;
	if (!shm->named)
		return 0;
	/* ENOENT: the peer removed it first, which is exactly what we wanted. */
	if (shm_unlink(shm->name) < 0 && errno != ENOENT)
		return -errno;
	shm->named = 0;
	return 0;
}

const char *ring_shm_name(const ring_shm_t *shm)
{
	return shm && shm->named ? shm->name : NULL;
}

int ring_shm_fd(const ring_shm_t *shm)
{
	return shm ? shm->fd : -EINVAL;
}

uint32_t ring_shm_capacity(const ring_shm_t *shm)
{
	return shm ? shm->cap : 0;
}

ring_t *ring_shm_ring(ring_shm_t *shm, enum ring_dir dir)
{
	if (!shm || (dir != RING_DIR_TO_POD && dir != RING_DIR_TO_RUNNER))
		return NULL;
	return &shm->ring[dir];
}

void ring_shm_destroy(ring_shm_t *shm)
{
	if (!shm)
		return;
	if (shm->map_base)
		munmap(shm->map_base, shm->map_len);
	if (shm->fd >= 0)
		close(shm->fd);
	if (shm->owner && shm->named)
		shm_unlink(shm->name);
	free(shm);
}
