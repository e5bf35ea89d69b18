/*
 * ffi_probe.c — test program for the LD_AUDIT gate (07-runner/ldaudit).
 *
 *     ffi_probe LIB...
 * dlopen()s each argument in turn and prints "ok <name>" (with the name the
 * library reports) or "fail <arg>". Run with LD_AUDIT=libpodaudit.so by the
 * Check suite, which plays the runner and decides each library.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
		const char *(*name)(void) = NULL;
		if (h)
			*(void **)&name = dlsym(h, "ffi_lib_name");
		if (h && name)
			printf("ok %s\n", name());
		else
			printf("fail %s\n", argv[i]);
		fflush(stdout);
	}
	return 0;
}
