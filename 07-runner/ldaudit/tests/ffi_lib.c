/*
 * ffi_lib.c — the libraries the LD_AUDIT tests dlopen() (07-runner/ldaudit).
 * Built several times with a different LIBNAME (allowed, denied, warned,
 * trusted, needs_denied). Its constructor writes "ffi-ctor: LIBNAME" on
 * stderr: a refused library must never get that far.
 */
#include <unistd.h>

const char *ffi_lib_name(void);

const char *ffi_lib_name(void)
{
	return LIBNAME;
}

__attribute__((constructor)) static void ffi_lib_ctor(void)
{
	static const char line[] = "ffi-ctor: " LIBNAME "\n";
	ssize_t n = write(2, line, sizeof(line) - 1);
	(void)n;
}
