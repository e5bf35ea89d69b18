/*
 * hostaddr.c — the runner host's own addresses, denied as upstreams.
 *
 * Layer 05 (proxy). Builds on getifaddrs(3). Used by http.c after the policy's
 * address decision: an address of any interface of the runner's namespace
 * (its LAN address, a docker bridge, other pods' veth ends, ...) reaches the
 * host's own services, which listen on wildcard addresses. 04-policy already
 * refuses loopback, private and link-local ranges; a host address outside
 * them (a public or TEST-NET address on eth0) would otherwise follow the name
 * decision. So it is special here: denied unless an IP rule names exactly that
 * address (a /32 or /128, or the bare address, with or without a port).
 * Loopback keeps 04-policy's own rule (an IP rule, or an exact "localhost").
 *
 *   decision allowed --> is it a host address? --no--> connect
 *                                 |yes
 *                        rule names this address? --no--> deny (rule "default")
 *
 * The list is read at proxy_create() and read again when it is older than
 * HOSTADDR_TTL_MS at the time of a decision, so an address added to the host
 * while pods run is known within that time; one netlink dump per second at
 * most, whatever the pod does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "proxy_int.h"

#define HOSTADDR_TTL_MS 1000
#define HOSTADDR_MAX 1024

/* 16-byte form: IPv4 as ::ffff:a.b.c.d. @return 0, -1 for other families. */
static int ip16(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

int hostaddr_refresh(struct proxy *px)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	int n = 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr &&
		    (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6))
			n++;
	if (n > HOSTADDR_MAX)
		n = HOSTADDR_MAX;
	uint8_t(*ips)[16] = calloc(n ? (size_t)n : 1, 16);
	if (!ips) {
		freeifaddrs(ifa);
		return -ENOMEM;
	}
	int k = 0;
	for (struct ifaddrs *i = ifa; i && k < n; i = i->ifa_next)
		if (i->ifa_addr && ip16(i->ifa_addr, ips[k]) == 0)
			k++;
	freeifaddrs(ifa);
	free(px->hostips);
	px->hostips = ips;
	px->n_hostips = k;
	px->hostips_ms = px_now_ms();
	return 0;
}

void hostaddr_free(struct proxy *px)
{
	free(px->hostips);
	px->hostips = NULL;
	px->n_hostips = 0;
}

/* Is @p sa an address of the runner's host? A failed refresh keeps the old list. */
static int is_host_addr(struct proxy *px, const uint8_t ip[16])
{
	if (!px->hostips || px_now_ms() - px->hostips_ms >= HOSTADDR_TTL_MS)
		hostaddr_refresh(px);
	for (int i = 0; i < px->n_hostips; i++)
		if (memcmp(px->hostips[i], ip, 16) == 0)
			return 1;
	return 0;
}

/* Does the rule text name exactly @p ip ("a.b.c.d", "a.b.c.d:p", "a.b.c.d/32",
 * "[v6]:p", "v6", "v6/128")? */
static int rule_names(const char *rule, const uint8_t ip[16])
{
	char t[128];
	uint8_t r[16];
	if (!rule || strlen(rule) >= sizeof(t))
		return 0;
	snprintf(t, sizeof(t), "%s", rule[0] == '[' ? rule + 1 : rule);
	char *e = rule[0] == '[' ? strchr(t, ']') : NULL;
	if (e)
		*e = '\0';
	char *slash = strchr(t, '/');
	int plen = -1;
	if (slash) {
		*slash = '\0';
		plen = atoi(slash + 1);
	}
	char *colon = e ? NULL : strchr(t, ':');
	if (colon && colon == strrchr(t, ':'))
		*colon = '\0'; /* a.b.c.d:port */
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, t, &a4) == 1) {
		memset(r, 0, 10);
		r[10] = r[11] = 0xff;
		memcpy(r + 12, &a4, 4);
		if (plen != -1 && plen != 32)
			return 0;
	} else if (inet_pton(AF_INET6, t, &a6) == 1) {
		memcpy(r, &a6, 16);
		if (plen != -1 && plen != 128)
			return 0;
	} else {
		return 0;
	}
	return memcmp(r, ip, 16) == 0;
}

int hostaddr_check(struct proxy *px, const struct sockaddr *sa, struct pol_decision *d)
{
	uint8_t ip[16];
	char txt[INET6_ADDRSTRLEN] = "?";
	static const uint8_t lo6[16] = { [15] = 1 };
	if (d->action == POL_DENY || ip16(sa, ip) < 0)
		return 0;
	/* loopback is 04-policy's own special range, opened only by an IP rule or
	 * an exact "localhost" rule; its decision stands */
	if ((ip[10] == 0xff && ip[11] == 0xff && ip[12] == 127 && !memcmp(ip, lo6, 10)) ||
	    !memcmp(ip, lo6, 16))
		return 0;
	if (!is_host_addr(px, ip))
		return 0;
	if (rule_names(d->rule, ip))
		return 0;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, txt, sizeof(txt));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, txt,
			  sizeof(txt));
	d->action = POL_DENY;
	d->rule = "default";
	snprintf(d->reason, sizeof(d->reason),
		 "%s is an address of the runner's host: denied unless a rule names it by address",
		 txt);
	return 1;
}
