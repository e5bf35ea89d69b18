/*
 * fixture_rpath.c — a native worker for the runtime tests (07-runner/runtime)
 * that needs libfixdep.so next to it, found through DT_RUNPATH=$ORIGIN.
 */
#include <stdio.h>

int fixdep_answer(void);

int main(void)
{
	printf("rpath answer=%d\n", fixdep_answer());
	return 0;
}
