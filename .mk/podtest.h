/*
 * .mk/podtest.h — helpers shared by every layer's Check suites.
 *
 * Part of the build machinery (not a layer): a test that needs root or a kernel
 * feature calls POD_REQUIRE(cond, reason). When the condition does not hold the
 * test prints "SKIP: <reason>" and passes, unless POD_REQUIRE_PRIVILEGED=1 is set
 * in the environment (CI sets it), in which case the test fails: a skipped check
 * is never reported as a pass where it was required to run (docs/contracts.md, "Build and test").
 */
#ifndef POD_PODTEST_H
#define POD_PODTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/** True when the environment demands that privileged tests really run. */
static inline int pod_privileged_required(void)
{
	const char *v = getenv("POD_REQUIRE_PRIVILEGED");
	return v && strcmp(v, "1") == 0;
}

/** True when this process runs as root (uid 0). */
static inline int pod_is_root(void)
{
	return geteuid() == 0;
}

/**
 * Skip the current Check test unless @p cond holds. Use at the top of a
 * START_TEST body. Fails instead of skipping when POD_REQUIRE_PRIVILEGED=1.
 */
#define POD_REQUIRE(cond, reason)                                                                  \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			if (pod_privileged_required())                                             \
				ck_abort_msg("required but unavailable: %s", (reason));            \
			printf("SKIP: %s (%s)\n", (reason), __func__);                             \
			fflush(stdout);                                                            \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/** Shorthand: skip unless running as root. */
#define POD_REQUIRE_ROOT() POD_REQUIRE(pod_is_root(), "needs root")

#endif
