/*
 * podhost.c — the pod host: runs a C-lib worker (*.so) inside the sandbox
 * (layer 07-runner).
 *
 *     podhost LIBRARY [--pod-socket=PATH --pod-shm-fd=N] [ARGS...]
 *
 * Builds on 02-ipc's C worker SDK (ipc_worker.h) and the service ABI in
 * podlib.h. Started by podrun (the runtime module's plan for *.so programs puts
 * it at /pod/bin/podhost); its whole life:
 *
 *   1. connect to the runner (HELLO/READY) with the SDK, which also removes the
 *      --pod-* arguments;
 *   2. dlopen() the library through the dynamic loader — so the LD_AUDIT FFI
 *      gate decides every library it needs — and check its ABI description;
 *   3. init() it with the remaining arguments;
 *   4. for each message from the runner call handle(), whose replies go back
 *      through the ring;
 *   5. on STOP (or the end of the session) call shutdown() and exit.
 *
 * Failures to load or start the library are reported to the runner as an ERROR
 * (and on stderr) and end the pod with status 1.
 *
 * A pool pod (POD_POOL_FD in the environment, 07's pool.c) connects first,
 * then says "ready" (one byte) on that launch socket and waits for the
 * runner's packet "NAME\0ARG\0..." (NAME a file of /pod/app) before step 2; an empty packet or a
 * closed socket ends it with status 0 (the pool was torn down).
 */
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_worker.h"
#include "podlib.h"

/* Application error code for "the C-lib could not be loaded or started". */
#define PODHOST_ERR_LOAD (IPC_ERR_USER + 1)
/* Application error code for "handle() failed". */
#define PODHOST_ERR_HANDLE (IPC_ERR_USER + 2)

/* Smallest struct_size that still has every field of ABI version 1. */
#define PODLIB_V1_SIZE (offsetof(struct podlib_service, shutdown) + sizeof(void (*)(void *)))

/* Report a fatal problem on stderr and, when connected, to the runner. */
static int fail(ipc_worker_t *w, int32_t code, const char *fmt, const char *a, const char *b)
{
	char text[1024];
	snprintf(text, sizeof(text), fmt, a, b);
	fprintf(stderr, "podhost: %s\n", text);
	if (w)
		ipc_worker_send_error(w, code, text);
	return 1;
}

static int reply_cb(void *ctx, const void *buf, size_t len)
{
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	return ipc_worker_send((ipc_worker_t *)ctx, buf, (uint32_t)len);
}

/* 2. Load the library and check what it describes. */
static int load_service(ipc_worker_t *w, const char *lib, void **handle,
			const struct podlib_service **svc)
{
	*handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!*handle)
		return fail(w, PODHOST_ERR_LOAD, "cannot load %s: %s", lib, dlerror());
	podlib_entry_fn entry;
	*(void **)&entry = dlsym(*handle, PODLIB_ENTRY_SYMBOL);
	if (!entry)
		return fail(w, PODHOST_ERR_LOAD, "%s: no %s symbol (see podlib.h)", lib,
			    PODLIB_ENTRY_SYMBOL);
	*svc = entry();
	if (!*svc || (*svc)->abi_version != PODLIB_ABI_VERSION ||
	    (*svc)->struct_size < PODLIB_V1_SIZE || !(*svc)->handle)
		return fail(w, PODHOST_ERR_LOAD, "%s: %s", lib,
			    "unsupported podlib ABI (version, size or missing handle)");
	return 0;
}

/* 4. Serve messages until STOP or the end of the session. */
static int serve(ipc_worker_t *w, const struct podlib_service *svc, void *state)
{
	uint32_t cap = ipc_worker_max_frame(w);
	char *buf = malloc(cap ? cap : 1);
	int status = 0;
	if (!buf)
		return fail(w, IPC_ERR_INTERNAL, "%s%s", "out of memory", "");
	for (;;) {
		int n = ipc_worker_recv(w, buf, cap, -1);
		if (n == -ESHUTDOWN)
			break; /* STOP: finish cleanly */
		if (n < 0) {
			if (n != -ECONNRESET)
				status = fail(NULL, 0, "session: %s%s", ipc_worker_error(w), "");
			break; /* the runner went away: nothing left to serve */
		}
		int r = svc->handle(state, buf, (size_t)n, reply_cb, w);
		if (r < 0) {
			status = fail(w, PODHOST_ERR_HANDLE, "%s: handle() failed: %s",
				      svc->name ? svc->name : "service", strerror(-r));
			break;
		}
	}
	free(buf);
	return status;
}

/* A pool pod: wait for the library and its arguments on the launch socket.
 * Returns the new argc (argv[0] kept), 0 when told to end, -1 on a failure. */
static int pool_launch(const char *fdtext, char **argv, char *pkt, size_t cap, char **av, int maxav)
{
	int fd = atoi(fdtext), n = 1;
	ssize_t len;

	if (fd < 3 || send(fd, "R", 1, MSG_NOSIGNAL) != 1)
		return -1;
	len = recv(fd, pkt, cap - 1, 0);
	close(fd);
	if (len <= 0 || pkt[len - 1] != '\0')
		return 0;
	av[0] = argv[0];
	for (char *s = pkt; s < pkt + len && n < maxav - 1; s += strlen(s) + 1)
		av[n++] = s;
	av[n] = NULL;
	if (n < 2 || !av[1][0] || strchr(av[1], '/'))
		return 0;
	/* a file name of the worker's directory */
	static char lib[4096];
	snprintf(lib, sizeof lib, "/pod/app/%s", av[1]);
	av[1] = lib;
	return n;
}

int main(int argc, char **argv)
{
	ipc_worker_t *w = NULL;
	void *lib = NULL, *state = NULL;
	const struct podlib_service *svc = NULL;
	int status = 1, ret;

	/* 1. connect (the SDK removes --pod-socket / --pod-shm-fd from argv) */
	ret = ipc_worker_connect_argv(&argc, argv, &w);
	if (ret < 0) {
		fprintf(stderr, "podhost: cannot connect to the runner: %s\n", strerror(-ret));
		goto cleanup;
	}
	if (getenv("POD_POOL_FD")) {
		static char pkt[65536];
		static char *av[4096];
		char fdtext[16];
		snprintf(fdtext, sizeof fdtext, "%s", getenv("POD_POOL_FD"));
		unsetenv("POD_POOL_FD");
		argc = pool_launch(fdtext, argv, pkt, sizeof pkt, av, 4096);
		if (argc <= 0) {
			status = argc < 0;
			goto cleanup;
		}
		argv = av;
	}
	if (argc < 2) {
		fail(w, PODHOST_ERR_LOAD, "usage: podhost LIBRARY [ARGS...]%s%s", "", "");
		goto cleanup;
	}
	/* 2. load and check the library */
	if (load_service(w, argv[1], &lib, &svc) != 0)
		goto cleanup;
	/* 3. init with the worker's arguments (argv[0] = the library) */
	if (svc->init && svc->init(argc - 1, argv + 1, &state) != 0) {
		fail(w, PODHOST_ERR_LOAD, "%s: init() refused to start%s", argv[1], "");
		goto cleanup;
	}
	/* 4. serve; 5. shut down */
	status = serve(w, svc, state);
	if (svc->shutdown)
		svc->shutdown(state);
cleanup:
	ipc_worker_close(w);
	/* the library stays loaded: its destructors run at exit() like any other */
	(void)lib;
	return status;
}
