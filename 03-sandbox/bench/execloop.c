/*
 * execloop.c — the program of the exec_decision benchmark (03-sandbox bench):
 * `execloop N` execs itself N more times, then exits 0. Static, so that each
 * exec costs the kernel's exec and nothing of a dynamic loader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char next[24];
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

	if (n <= 0)
		return 0;
	snprintf(next, sizeof next, "%ld", n - 1);
	execv(argv[0], (char *[]){ argv[0], next, NULL });
	return 1;
}
