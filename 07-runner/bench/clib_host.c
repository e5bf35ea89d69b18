/*
 * clib_host.c — the bubblewrap peer's stand-in for the pod host in 07-runner's
 * start-up benchmark: dlopen() a C-lib worker, call init, one handle() with
 * the message "x" (the reply goes to stdout), shutdown. The same work as a
 * C-lib pod answering one line, without a runner.
 *
 * Layer 07 (runner), bench. Builds on include/podlib.h.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#include "podlib.h"

static int out(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	return write(1, buf, len) == (ssize_t)len && write(1, "\n", 1) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	void *h, *state = NULL;
	podlib_entry_fn entry;
	const struct podlib_service *s;

	if (argc < 2 || !(h = dlopen(argv[1], RTLD_NOW)) ||
	    !(entry = (podlib_entry_fn)dlsym(h, PODLIB_ENTRY_SYMBOL)) || !(s = entry())) {
		fprintf(stderr, "clib_host: cannot load %s: %s\n", argc > 1 ? argv[1] : "(none)",
			dlerror());
		return 1;
	}
	if (s->init && s->init(argc - 1, argv + 1, &state))
		return 1;
	if (s->handle(state, "x", 1, out, NULL) < 0)
		return 1;
	if (s->shutdown)
		s->shutdown(state);
	return 0;
}
