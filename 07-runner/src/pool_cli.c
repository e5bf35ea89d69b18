/*
 * pool_cli.c — the server loop of `podrun pool` (docs/contracts.md, "Warm
 * pools"): a warm pool, one program per line of stdin, one status line per
 * program on stdout.
 *
 *   podrun pool [--size N] [OPTIONS] [--] PROGRAM
 *   stdin:  PROGRAM[<TAB>ARG]...        one line per run
 *   stdout: STATUS<TAB>POD-ID<TAB>PROGRAM   once the pod has ended (or was refused)
 *
 * The pods' stdout and stderr go to podrun's stderr, so stdout carries only
 * the runner's lines (a pod cannot forge one). A refused program gets status 2
 * and pod id "-" (the reason on stderr); the pool's failure ends the loop with
 * 125. SIGINT/SIGTERM/SIGHUP stop the running pod (STOP, grace, SIGKILL), tear
 * the pool down and exit with 128+N.
 *
 * Layer 07 (runner). Builds on include/podrun.h only, like main.c.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "podrun.h"

#define LINE_MAX_LEN 65536
#define ARGS_MAX 256

/* Run one taken pod to its end; a signal stops it. Returns its status. */
static int run_pod(podrun_t *pod, int sig_fd, int *sig)
{
	struct pollfd pfd[2] = { { .fd = podrun_fd(pod), .events = POLLIN },
				 { .fd = sig_fd, .events = POLLIN } };

	while (podrun_state(pod) != PODRUN_EXITED) {
		if (poll(pfd, 2, 100) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof si) == sizeof si) {
				*sig = *sig ? *sig : (int)si.ssi_signo;
				podrun_stop(pod, -1);
			}
		}
		if (podrun_dispatch(pod, 0) < 0)
			break;
	}
	return podrun_exit_code(pod);
}

/* Split "PROGRAM\tARG..." in place. */
static int split_line(char *line, char **argv, int cap)
{
	int n = 0;
	char *s = line;

	while (n < cap - 1) {
		argv[n++] = s;
		s = strchr(s, '\t');
		if (!s)
			break;
		*s++ = '\0';
	}
	argv[n] = NULL;
	return n;
}

/* Stdin, read without stdio's buffer (poll() must see what is left). */
struct lines {
	char buf[LINE_MAX_LEN];
	size_t len;
	int eof;
};

/* The next line into @p out (NUL-terminated, without '\n'): 1; 0 when none is
 * complete yet (read more); -1 at the end. A line too long is cut. */
static int next_line(struct lines *l, char *out, int can_read)
{
	char *nl = memchr(l->buf, '\n', l->len);
	size_t n;

	if (!nl && can_read && !l->eof && l->len < sizeof l->buf) {
		ssize_t r = read(0, l->buf + l->len, sizeof l->buf - l->len);
		if (r <= 0)
			l->eof = 1;
		else
			l->len += (size_t)r;
		nl = memchr(l->buf, '\n', l->len);
	}
	if (!nl && (l->eof || l->len == sizeof l->buf) && l->len)
		nl = l->buf + l->len - (l->len == sizeof l->buf); /* the last line, or a cut one */
	if (!nl)
		return l->eof ? -1 : 0;
	n = (size_t)(nl - l->buf);
	memcpy(out, l->buf, n);
	out[n] = '\0';
	n = n < l->len ? n + 1 : n;
	memmove(l->buf, l->buf + n, l->len - n);
	l->len -= n;
	return 1;
}

int pool_cli_main(podrun_pool_t *pool, unsigned size);
int pool_cli_main(podrun_pool_t *pool, unsigned size)
{
	static char line[LINE_MAX_LEN];
	static struct lines in;
	char *argv[ARGS_MAX + 1];
	sigset_t set;
	int sig_fd, sig = 0, status = 0, ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL); /* before the pool's thread: it inherits the mask */
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		perror("podrun: signalfd");
		return PODRUN_EXIT_RUNNER;
	}
	ret = podrun_pool_start(pool, size);
	if (ret < 0) {
		fprintf(stderr, "podrun: pool: %s\n", podrun_pool_error(pool));
		close(sig_fd);
		return ret == -EINVAL ? PODRUN_EXIT_USAGE : PODRUN_EXIT_RUNNER;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!sig) {
		struct pollfd pfd[2] = { { .fd = 0, .events = POLLIN },
					 { .fd = sig_fd, .events = POLLIN } };
		podrun_t *pod = NULL;
		size_t len;

		ret = next_line(&in, line, 0);
		if (ret == 0 && poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sig_fd, &si, sizeof si) == sizeof si)
				sig = (int)si.ssi_signo;
			break;
		}
		if (ret == 0 && !pfd[0].revents)
			continue;
		if (ret == 0)
			ret = next_line(&in, line, 1);
		if (ret < 0)
			break; /* end of input: the pool is torn down */
		len = strlen(line);
		if (!ret || !len)
			continue;
		split_line(line, argv, ARGS_MAX);
		ret = podrun_pool_take(pool, argv[0], (const char *const *)argv + 1, -1, &pod);
		if (ret == -EINVAL) {
			fprintf(stderr, "podrun: pool: %s\n", podrun_pool_error(pool));
			printf("%d\t-\t%s\n", PODRUN_EXIT_USAGE, argv[0]);
			continue;
		}
		if (ret < 0) {
			fprintf(stderr, "podrun: pool: %s\n", podrun_pool_error(pool));
			status = PODRUN_EXIT_RUNNER;
			break;
		}
		ret = run_pod(pod, sig_fd, &sig);
		printf("%d\t%s\t%s\n", ret, podrun_id(pod), argv[0]);
		podrun_free(pod);
	}
	close(sig_fd);
	return sig ? 128 + sig : status;
}
