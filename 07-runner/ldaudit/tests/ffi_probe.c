/*
 * ffi_probe.c — test program for the LD_AUDIT gate (07-runner/ldaudit).
 *
 *     ffi_probe [-t] LIB...
 * dlopen()s each argument in turn and prints "ok <name>" (with the name the
 * library reports) or "fail <arg>". With -t every argument is opened at the
 * same time from its own thread (the loader's lock serializes the gate), the
 * lines still printed in argument order. The last line is "fds <before>
 * <after>": how many descriptors the process had open before the first
 * dlopen() and after the last (the gate must not leave any behind). Run with
 * LD_AUDIT=libpodaudit.so by the Check suite, which plays the runner and
 * decides each library.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_LIBS 16

struct job {
	const char *arg;
	char line[512];
};

static void *open_one(void *arg)
{
	struct job *j = arg;
	void *h = dlopen(j->arg, RTLD_NOW | RTLD_LOCAL);
	const char *(*name)(void) = NULL;
	if (h)
		*(void **)&name = dlsym(h, "ffi_lib_name");
	if (h && name)
		snprintf(j->line, sizeof(j->line), "ok %s\n", name());
	else
		snprintf(j->line, sizeof(j->line), "fail %s\n", j->arg);
	return NULL;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1; /* the directory's own descriptor */
}

int main(int argc, char **argv)
{
	static struct job jobs[MAX_LIBS];
	pthread_t th[MAX_LIBS];
	int threads = argc > 1 && strcmp(argv[1], "-t") == 0;
	int first = 1 + threads, n = 0;
	int before = count_fds();
	for (int i = first; i < argc && n < MAX_LIBS; i++, n++)
		jobs[n].arg = argv[i];
	for (int i = 0; i < n; i++) {
		if (!threads) {
			open_one(&jobs[i]);
			fputs(jobs[i].line, stdout);
			fflush(stdout);
		} else if (pthread_create(&th[i], NULL, open_one, &jobs[i]) != 0) {
			return 1;
		}
	}
	for (int i = 0; threads && i < n; i++) {
		pthread_join(th[i], NULL);
		fputs(jobs[i].line, stdout);
	}
	printf("fds %d %d\n", before, count_fds());
	return 0;
}
