/*
 * fixture_dep.c — a shared library for the runtime tests (07-runner/runtime):
 * found by its user through DT_RUNPATH=$ORIGIN, and also used as a C-lib
 * "program" in the plan tests.
 */
int fixdep_answer(void);

int fixdep_answer(void)
{
	return 42;
}
