/*
 * noproxy.c — stand-ins for 05-proxy in a tree without it:
 * every pod gets loopback only. Compiled only when ../05-proxy has no Makefile.
 *
 * Layer 07 (runner). Builds on proxy.h's declarations only.
 */
#include "internal.h"

int podnet_new(const struct podnet_config *cfg, podnet_t **out)
{
	(void)cfg;
	*out = NULL;
	return -ENOSYS;
}
int podnet_attach(podnet_t *pn, int netns_fd)
{
	(void)pn;
	(void)netns_fd;
	return -ENOSYS;
}
struct in_addr podnet_runner_addr(const podnet_t *pn)
{
	struct in_addr a = { 0 };
	(void)pn;
	return a;
}
const char *podnet_ifname(const podnet_t *pn)
{
	(void)pn;
	return "";
}
const char *const *podnet_env(const podnet_t *pn)
{
	static const char *const none[] = { NULL };
	(void)pn;
	return none;
}
const char *podnet_resolv_conf(const podnet_t *pn)
{
	(void)pn;
	return "";
}
void podnet_destroy(podnet_t *pn)
{
	(void)pn;
}
int proxy_create(const struct proxy_config *cfg, proxy_t **out)
{
	(void)cfg;
	*out = NULL;
	return -ENOSYS;
}
int proxy_fd(const proxy_t *p)
{
	(void)p;
	return -1;
}
int proxy_dispatch(proxy_t *p)
{
	(void)p;
	return 0;
}
void proxy_destroy(proxy_t *p)
{
	(void)p;
}
