/**
 * @file
 * ring.h — public API of layer 01-ring: shared-memory SPSC byte rings.
 *
 * Layer 01 (the bottom of Pod/Runner). Builds on nothing but POSIX shared
 * memory. Used by 02-ipc (control plane + worker SDKs, also through the shared
 * library build libring.so for Python ctypes and bun:ffi) and by 07-runner.
 *
 * One shared-memory object ("ring_shm") holds a header and two single-producer /
 * single-consumer rings: RING_DIR_TO_POD (runner writes, pod reads) and
 * RING_DIR_TO_RUNNER (pod writes, runner reads). Frames are [u32 length][payload],
 * 8-byte aligned. Counters are free-running 64-bit; capacity is a power of two.
 *
 * The peer is hostile: everything read from the shared mapping is untrusted. A
 * corrupt ring is reported as -EPROTO, never as a crash or an out-of-bounds access.
 *
 * Errors: functions return 0 (or a count/length) on success and a negative errno
 * on failure (docs/conventions.md, "Errors").
 */
#ifndef POD_RING_H
#define POD_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The shared object: header plus two rings. Opaque. */
typedef struct ring_shm ring_shm_t;
/** One direction of a ring_shm, as seen from one side (producer or consumer). Opaque. */
typedef struct ring ring_t;

/** Direction of a ring inside a ring_shm. */
enum ring_dir {
	RING_DIR_TO_POD = 0,    /**< runner produces, pod consumes */
	RING_DIR_TO_RUNNER = 1, /**< pod produces, runner consumes */
};

/** Largest payload of one frame is capacity/4, and never more than this. */
#define RING_MAX_FRAME_LIMIT (16u << 20)
/** Smallest accepted per-ring capacity (bytes of data area). */
#define RING_MIN_CAPACITY 4096u
/** Largest accepted per-ring capacity (bytes of data area). */
#define RING_MAX_CAPACITY (1u << 30)

/**
 * Create a new shared object with shm_open (random name, O_CREAT|O_EXCL, mode
 * 0600), size it and map it.
 * @param capacity  data bytes per ring; a power of two in [RING_MIN_CAPACITY, RING_MAX_CAPACITY]
 * @param out       receives the handle
 * @return 0, or -EINVAL (bad capacity), -errno from shm_open/ftruncate/mmap
 */
int ring_shm_create(uint32_t capacity, ring_shm_t **out);

/**
 * Like ring_shm_create(), but the object is an anonymous memfd sealed against
 * resizing (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL). A peer holding a
 * descriptor of a plain shm_open() object can ftruncate() it to zero, and the
 * next access of this side to the mapping then dies with SIGBUS; with the
 * seals the kernel refuses that ftruncate(). The object has no name (nothing
 * to unlink): hand the descriptor (ring_shm_fd()) to the peer, which attaches
 * with ring_shm_attach_fd(). Added after the first API freeze; the runner
 * should prefer it.
 * @param capacity  data bytes per ring; a power of two in [RING_MIN_CAPACITY, RING_MAX_CAPACITY]
 * @param out       receives the handle
 * @return 0, or -EINVAL (bad capacity), -errno from memfd_create/ftruncate/fcntl/mmap
 */
int ring_shm_create_sealed(uint32_t capacity, ring_shm_t **out);

/**
 * Map an existing object from a descriptor (e.g. inherited by the pod). The
 * descriptor is duplicated; the caller keeps its own. The header (magic,
 * version, capacity, size) is validated against the object's real size.
 * @return 0, -EPROTO for a header that does not describe a valid object, -errno
 */
int ring_shm_attach_fd(int fd, ring_shm_t **out);

/** Map an existing object by its shm name ("/pod-ring-..."). Same checks as attach_fd. */
int ring_shm_attach_name(const char *name, ring_shm_t **out);

/**
 * Remove the object's name from /dev/shm. The mapping and descriptor stay
 * valid; call it as soon as both sides have mapped the object so that nothing
 * is left behind whatever happens next. Idempotent.
 */
int ring_shm_unlink(ring_shm_t *shm);

/** The object's shm name, or NULL once unlinked or when attached by fd. */
const char *ring_shm_name(const ring_shm_t *shm);

/**
 * The descriptor of the object (owned by the handle; dup it to pass it on).
 * It is close-on-exec: to hand it to an exec()ed pod, dup2() it to the wanted
 * number in the child (dup2 clears FD_CLOEXEC) or send it with SCM_RIGHTS.
 * @return the descriptor, or -EINVAL for NULL
 */
int ring_shm_fd(const ring_shm_t *shm);

/** Per-ring data capacity in bytes. */
uint32_t ring_shm_capacity(const ring_shm_t *shm);

/**
 * One direction of the object. The same ring_t serves the producer and the
 * consumer calls; each side only uses the half it owns.
 */
ring_t *ring_shm_ring(ring_shm_t *shm, enum ring_dir dir);

/** Unmap, close, and unlink if the handle created the object and it is still named. NULL ok. */
void ring_shm_destroy(ring_shm_t *shm);

/* ---- producer side --------------------------------------------------- */

/**
 * Copy one frame in.
 * @return 0; -EAGAIN when there is not room now; -EMSGSIZE when @p len exceeds
 *         ring_max_frame(); -EPROTO when the shared counters are corrupt;
 *         -EBUSY while a reservation is open; -EINVAL for NULL arguments.
 */
int ring_write(ring_t *r, const void *buf, uint32_t len);

/**
 * Copy up to @p n frames in, stopping at the first that does not fit.
 * @return number of frames written (0..n), or a negative errno as ring_write
 *         when not even the first could be written for a reason other than -EAGAIN.
 */
int ring_write_batch(ring_t *r, const struct iovec *frames, unsigned n);

/**
 * Reserve room for a frame of at most @p len bytes and return a pointer to its
 * payload in the shared mapping (zero copy). Follow with ring_commit() or ring_abort().
 * @return 0, -EAGAIN, -EMSGSIZE, -EPROTO; -EBUSY when a reservation is already open.
 */
int ring_reserve(ring_t *r, uint32_t len, void **payload);

/**
 * Publish the reserved frame with its final length (<= the reserved length).
 * @return 0; -EMSGSIZE when @p len exceeds the reservation (it stays open);
 *         -EINVAL when no reservation is open.
 */
int ring_commit(ring_t *r, uint32_t len);

/** Drop the open reservation; nothing becomes visible to the consumer. */
void ring_abort(ring_t *r);

/* ---- consumer side --------------------------------------------------- */

/**
 * Copy the next frame out into @p buf.
 * @return the frame length (>= 0); -EAGAIN when empty; -EMSGSIZE when @p cap is
 *         too small (the frame stays in the ring); -EPROTO when corrupt.
 */
int ring_read(ring_t *r, void *buf, uint32_t cap);

/**
 * Copy out up to @p n frames into @p buf (@p cap bytes), packed one after the
 * other; @p lens receives each frame's length.
 * @return number of frames read (0 when empty), or -EMSGSIZE / -EPROTO as ring_read
 *         when not even the first could be read.
 */
int ring_read_batch(ring_t *r, void *buf, size_t cap, uint32_t *lens, unsigned n);

/**
 * Zero-copy look at the next frame. The payload stays in shared memory that the
 * peer can still write: a side that does not trust its peer (the runner) must
 * copy before parsing. Follow with ring_release().
 * @return the frame length (>= 0); -EAGAIN; -EPROTO.
 */
int ring_peek(ring_t *r, const void **payload);

/** Consume the frame returned by the last ring_peek(). */
void ring_release(ring_t *r);

/* ---- sizes and the doorbell protocol (used by 02-ipc) ---------------- */

/** Bytes queued (as seen now). Returns -EPROTO when the counters are corrupt. */
int64_t ring_used(ring_t *r);
/** Bytes free (as seen now). Returns -EPROTO when the counters are corrupt. */
int64_t ring_free(ring_t *r);
/** Largest payload one frame may carry in this ring. */
uint32_t ring_max_frame(const ring_t *r);

/**
 * Consumer: announce "I am about to sleep" by setting the ring's waiting word,
 * then re-check the ring.
 * @return 1 when the ring is still empty (safe to block on the doorbell);
 *         0 when frames arrived meanwhile (the word is cleared; do not sleep);
 *         -EPROTO when corrupt.
 */
int ring_prepare_wait(ring_t *r);

/** Consumer: clear the waiting word (woken up, or gave up sleeping). */
void ring_cancel_wait(ring_t *r);

/**
 * Producer, after publishing frames: whether the consumer announced it sleeps.
 * Clears the word when set.
 * @return 1 when a doorbell must be sent, 0 otherwise.
 */
int ring_need_wakeup(ring_t *r);

#ifdef __cplusplus
}
#endif
#endif /* POD_RING_H */
