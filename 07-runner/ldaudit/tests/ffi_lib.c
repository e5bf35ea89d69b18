/*
 * ffi_lib.c — the libraries the LD_AUDIT tests dlopen() (07-runner/ldaudit).
 * Built several times with a different LIBNAME (allowed, denied, warned,
 * trusted, needs_denied).
 */
const char *ffi_lib_name(void);

const char *ffi_lib_name(void)
{
	return LIBNAME;
}
