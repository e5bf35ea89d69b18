/*
 * resolve.c — turning the requested host into upstream addresses.
 *
 * Layer 05 (proxy). Builds on getaddrinfo() and pthreads. Used by http.c
 * between the name decision and the address decisions.
 *
 * Order: an IP literal is its own address; then the hosts map of the config
 * (which may also replace the port, for tests); then, in PROXY_RESOLVE_HOSTS
 * mode, "localhost" -> 127.0.0.1 and nothing else; in PROXY_RESOLVE_SYSTEM
 * mode, getaddrinfo() on ONE background thread, because it blocks and the
 * proxy's loop must not. The thread only sees its job (a copy of the name);
 * the connection is touched only on the loop's thread:
 *
 *   loop: job{host,port} -> todo list --cond--> thread: getaddrinfo
 *   loop <-eventfd-- done list <-------------- thread: addresses
 *
 * A connection closed while its job runs marks the job cancelled; the loop
 * frees it when it comes back. The mutex protects only the two lists.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "proxy.h"
#include "proxy_int.h"

struct rjob {
	struct rjob *next;
	struct conn *c; /* loop thread only; NULL once cancelled */
	int cancelled;  /* guarded by resolver.mu: the thread skips the lookup */
	char host[256];
	uint16_t port;
	int err;
	int n;
	struct sockaddr_storage addrs[PX_MAX_ADDRS];
};

struct resolver {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rjob *todo, *todo_tail; /* guarded by mu */
	struct rjob *done;             /* guarded by mu */
	int stop;                      /* guarded by mu */
	int busy;                      /* guarded by mu: a lookup is in flight */
	int orphan;                    /* guarded by mu: the thread frees everything */
	int efd;
};

static void free_list(struct rjob *j);

/* Free what the resolver holds (its thread has finished). */
static void resolver_free(struct resolver *r)
{
	free_list(r->todo);
	free_list(r->done);
	close(r->efd);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

static void set_port(struct sockaddr_storage *sa, uint16_t port)
{
	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

static uint16_t get_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

static int literal(struct conn *c)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->addrs[0];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->addrs[0];
	memset(&c->addrs[0], 0, sizeof(c->addrs[0]));
	if (inet_pton(AF_INET, c->host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, c->host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
	} else {
		return 0;
	}
	set_port(&c->addrs[0], c->port);
	c->naddr = 1;
	return 1;
}

static int from_hosts(struct conn *c)
{
	const struct proxy *px = c->px;
	for (size_t i = 0; i < px->cfg.n_hosts && c->naddr < PX_MAX_ADDRS; i++) {
		const struct proxy_host *h = &px->hosts[i];
		if (strcmp(h->name, c->host) || (h->port && h->port != c->port))
			continue;
		if (h->addr.ss_family != AF_INET && h->addr.ss_family != AF_INET6)
			continue;
		c->addrs[c->naddr] = h->addr;
		if (get_port(&h->addr) == 0)
			set_port(&c->addrs[c->naddr], c->port);
		c->naddr++;
	}
	return c->naddr > 0;
}

static void *resolver_main(void *arg)
{
	struct resolver *r = arg;
	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct rjob *j = r->todo;
		if (!j) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		r->todo = j->next;
		if (!r->todo)
			r->todo_tail = NULL;
		int skip = j->cancelled;
		r->busy = 1;
		pthread_mutex_unlock(&r->mu);

		/* a job whose connection is gone costs no lookup: a pod that opens
		 * and drops connections cannot queue up work for this thread */
		struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
		struct addrinfo *res = NULL;
		int e = skip ? EAI_NONAME : getaddrinfo(j->host, NULL, &hints, &res);
		j->err = e ? -EHOSTUNREACH : 0;
		for (struct addrinfo *ai = res; ai && j->n < PX_MAX_ADDRS; ai = ai->ai_next) {
			if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
			    ai->ai_addrlen > sizeof(j->addrs[0]))
				continue;
			memset(&j->addrs[j->n], 0, sizeof(j->addrs[0]));
			memcpy(&j->addrs[j->n], ai->ai_addr, ai->ai_addrlen);
			set_port(&j->addrs[j->n], j->port);
			j->n++;
		}
		if (res)
			freeaddrinfo(res);

		pthread_mutex_lock(&r->mu);
		r->busy = 0;
		j->next = r->done;
		r->done = j;
		uint64_t one = 1;
		if (write(r->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice; nothing to do */
		}
	}
	int orphan = r->orphan;
	pthread_mutex_unlock(&r->mu);
	if (orphan)
		resolver_free(r); /* the proxy is gone; nobody else holds r */
	return NULL;
}

static int resolver_start(struct proxy *px)
{
	struct resolver *r = calloc(1, sizeof(*r));
	int ret;
	if (!r)
		return -ENOMEM;
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0) {
		ret = -errno;
		free(r);
		return ret;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	ret = -pthread_create(&r->th, NULL, resolver_main, r);
	if (ret < 0) {
		close(r->efd);
		free(r);
		return ret;
	}
	px->res = r;
	px->resfd = (struct pxfd){ .fd = r->efd, .kind = FK_RESOLVER };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &px->resfd };
	if (epoll_ctl(px->epfd, EPOLL_CTL_ADD, r->efd, &ev) < 0)
		return -errno;
	px->resfd.events = EPOLLIN;
	return 0;
}

int resolve_start(struct conn *c)
{
	struct proxy *px = c->px;
	c->naddr = 0;
	if (literal(c) || from_hosts(c))
		return 0;
	if (px->cfg.resolver == PROXY_RESOLVE_HOSTS) {
		if (!strcmp(c->host, "localhost")) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&c->addrs[0];
			memset(&c->addrs[0], 0, sizeof(c->addrs[0]));
			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			s4->sin_port = htons(c->port);
			c->naddr = 1;
		}
		return 0;
	}
	if (!px->res) {
		int r = resolver_start(px);
		if (r < 0)
			return r;
	}
	struct rjob *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->c = c;
	memcpy(j->host, c->host, sizeof(j->host));
	j->port = c->port;
	pthread_mutex_lock(&px->res->mu);
	if (px->res->todo_tail)
		px->res->todo_tail->next = j;
	else
		px->res->todo = j;
	px->res->todo_tail = j;
	pthread_cond_signal(&px->res->cv);
	pthread_mutex_unlock(&px->res->mu);
	c->job = j;
	return 1;
}

void resolve_cancel(struct conn *c)
{
	struct resolver *r = c->px->res;
	if (c->job) {
		c->job->c = NULL; /* only the loop thread reads this field */
		if (r) {
			pthread_mutex_lock(&r->mu);
			c->job->cancelled = 1;
			pthread_mutex_unlock(&r->mu);
		}
		c->job = NULL;
	}
}

void resolve_on_event(struct proxy *px)
{
	struct resolver *r = px->res;
	uint64_t v;
	if (!r || read(r->efd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&r->mu);
	struct rjob *list = r->done;
	r->done = NULL;
	pthread_mutex_unlock(&r->mu);
	while (list) {
		struct rjob *j = list;
		list = j->next;
		struct conn *c = j->c;
		if (c && !c->dead && c->job == j) {
			c->job = NULL;
			c->naddr = j->n;
			memcpy(c->addrs, j->addrs, sizeof(j->addrs));
			http_on_resolved(c, j->err);
			px_advance(c);
		}
		free(j);
	}
}

static void free_list(struct rjob *j)
{
	while (j) {
		struct rjob *n = j->next;
		free(j);
		j = n;
	}
}

/*
 * Stop the thread without waiting for a lookup in flight: getaddrinfo() cannot
 * be cancelled and may take the system resolver's whole timeout (seconds), so
 * a thread that is busy is detached and frees the resolver itself when its
 * lookup returns; an idle one is joined at once.
 */
void resolve_stop(struct proxy *px)
{
	struct resolver *r = px->res;
	if (!r)
		return;
	if (px->resfd.events)
		epoll_ctl(px->epfd, EPOLL_CTL_DEL, r->efd, NULL);
	px->resfd.events = 0;
	px->res = NULL;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->cv);
	int busy = r->busy;
	if (busy)
		r->orphan = 1;
	pthread_mutex_unlock(&r->mu);
	if (busy) {
		pthread_detach(r->th);
		return;
	}
	pthread_join(r->th, NULL);
	resolver_free(r);
}
