/*
 * fixture_native.c — a native worker for the runtime tests (07-runner/runtime).
 * Links libm so that its plan has a library beyond libc; prints its arguments
 * and a value computed by libm, so a run inside a pod can be checked.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	volatile double two = argc > 0 ? 2.0 : 3.0;
	printf("native sqrt=%.3f argc=%d", sqrt(two), argc);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	return 0;
}
