/*
 * config.c — the configuration half of the podrun API: allocation, setters,
 * options, accessors, and podrun_free().
 *
 * Layer 07 (runner). Builds on 04-policy (flag syntax is checked against a
 * scratch policy as soon as a flag is added). Used by the podrun CLI
 * (src/main.c) and by embedders (bun:ffi) through include/podrun.h.
 */
#include "internal.h"

int podrun_new(podrun_t **out)
{
	struct podrun *p;

	if (!out)
		return -EINVAL;
	*out = NULL;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->cfg.serve = -1;
	p->cfg.in_fd = -1;
	p->cfg.out_fd = 1;
	p->cfg.err_fd = 2;
	p->cfg.grace_ms = PODRUN_GRACE_MS_DEFAULT;
	p->cfg.audit_level = SYSAUDIT_DETAILED;
	p->au.audit_fd = -1;
	p->life.exit_code = -1;
	pr_fds_init(p);
	pr_random_id(p->life.id, 12);
	*out = p;
	return 0;
}

#define CONFIGURING(p)                                                                             \
	do {                                                                                       \
		if (!(p))                                                                          \
			return -EINVAL;                                                            \
		if ((p)->life.state != PODRUN_CONFIGURING)                                         \
			return -EBUSY;                                                             \
	} while (0)

static int set_str(char **slot, const char *v)
{
	char *c = strdup(v);

	if (!c)
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

int podrun_set_program(podrun_t *p, const char *program)
{
	CONFIGURING(p);
	if (!program || !*program)
		return -EINVAL;
	return set_str(&p->cfg.program, program);
}

int podrun_add_arg(podrun_t *p, const char *arg)
{
	CONFIGURING(p);
	if (!arg)
		return -EINVAL;
	if (p->cfg.nargs >= 4096)
		return -E2BIG;
	return pr_strv_add(&p->cfg.args, &p->cfg.nargs, arg);
}

int podrun_set_policy_file(podrun_t *p, const char *path)
{
	CONFIGURING(p);
	if (!path || !*path)
		return -EINVAL;
	return set_str(&p->cfg.policy_file, path);
}

int podrun_set_policy_json(podrun_t *p, const char *json)
{
	CONFIGURING(p);
	if (!json)
		return -EINVAL;
	return set_str(&p->cfg.policy_json, json);
}

/* The flag is tried on a scratch policy now, so that a typo is reported with
 * the flag that caused it, before anything starts. */
int podrun_add_policy_flag(podrun_t *p, const char *flag)
{
	struct pol_error e = { 0 };
	policy_t *scratch = NULL;
	int ret;

	CONFIGURING(p);
	if (!flag)
		return -EINVAL;
	ret = policy_new(&scratch);
	if (ret < 0)
		return ret;
	ret = policy_apply_flag(scratch, flag, &e);
	policy_free(scratch);
	if (ret == -ENOENT) {
		pr_seterr(p, 0, "%s: not a policy flag", flag);
		return ret;
	}
	if (ret < 0) {
		pr_seterr(p, 0, "%s: %s%s%s", flag, e.msg[0] ? e.msg : strerror(-ret),
			  e.hint[0] ? " (" : "", e.hint[0] ? e.hint : "");
		if (e.hint[0])
			strncat(p->life.err, ")", sizeof p->life.err - strlen(p->life.err) - 1);
		return -EINVAL;
	}
	if (strncmp(flag, "--allow-all", 11) == 0)
		p->cfg.allow_all = 1;
	return pr_strv_add(&p->cfg.flags, &p->cfg.nflags, flag);
}

int podrun_set_limits(podrun_t *p, uint32_t timeout_s, uint64_t memory_bytes, uint32_t pids)
{
	CONFIGURING(p);
	p->cfg.timeout_s = timeout_s;
	p->cfg.memory = memory_bytes;
	p->cfg.pids = pids;
	return 0;
}

int podrun_set_audit(podrun_t *p, const char *path)
{
	CONFIGURING(p);
	if (!path) {
		free(p->cfg.audit_path);
		p->cfg.audit_path = NULL;
		return 0;
	}
	return set_str(&p->cfg.audit_path, path);
}

int podrun_set_serve(podrun_t *p, int on)
{
	CONFIGURING(p);
	p->cfg.serve = on < 0 ? -1 : !!on;
	return 0;
}

int podrun_set_stdio(podrun_t *p, int in_fd, int out_fd, int err_fd)
{
	CONFIGURING(p);
	p->cfg.in_fd = in_fd;
	p->cfg.out_fd = out_fd;
	p->cfg.err_fd = err_fd;
	return 0;
}

int podrun_set_verbosity(podrun_t *p, int level)
{
	if (!p)
		return -EINVAL;
	p->cfg.verbosity = level;
	return 0;
}

int podrun_set_events(podrun_t *p, int on)
{
	CONFIGURING(p);
	p->cfg.events_on = !!on;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	if (!v || !*v || !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no")) {
		*out = 0;
		return 0;
	}
	return -EINVAL;
}

/* "BYTES[k|m|g]" (or a plain count without @p suffix); "unlimited" is
 * UINT64_MAX. Zero is refused. */
static int parse_size(const char *s, uint64_t *out, int suffix)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end = NULL;

	if (s && suffix && !strcmp(s, "unlimited")) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (suffix && *end) {
		switch (*end++) {
		case 'k':
		case 'K':
			mul = 1ull << 10;
			break;
		case 'm':
		case 'M':
			mul = 1ull << 20;
			break;
		case 'g':
		case 'G':
			mul = 1ull << 30;
			break;
		default:
			return -EINVAL;
		}
	}
	if (*end || v == 0 || v > UINT64_MAX / mul - 1)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

/* "1.5" CPUs, "150%" of one CPU, or "unlimited" (UINT32_MAX). */
static int parse_cpu(const char *s, uint32_t *out)
{
	char *end = NULL;
	double v;

	if (s && !strcmp(s, "unlimited")) {
		*out = UINT32_MAX;
		return 0;
	}
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	if (*end == '%') {
		end++;
		v /= 100.0;
	}
	if (*end || v < 0.01 || v > 1024)
		return -EINVAL;
	*out = (uint32_t)(v * 100.0 + 0.5);
	return 0;
}

int podrun_set_option(podrun_t *p, const char *name, const char *value)
{
	char *end = NULL;
	long n;

	CONFIGURING(p);
	if (!name)
		return -EINVAL;
	if (!strncmp(name, "rootfs", 6) || !strcmp(name, "cpu-percent") ||
	    !strncmp(name, "rlimit-", 7))
		return pr_rootfs_option(p, name, value);
	if (!strcmp(name, "audit-best-effort"))
		return parse_bool(value, &p->cfg.audit_best_effort);
	if (!strcmp(name, "allow-all-ack"))
		return parse_bool(value, &p->cfg.allow_all_ack);
	if (!strcmp(name, "signals"))
		return parse_bool(value, &p->cfg.handle_signals);
	if (!strcmp(name, "messages")) {
		if (value && !strcmp(value, "stdout"))
			p->cfg.msg_to_stdout = 1;
		else if (value && !strcmp(value, "api"))
			p->cfg.msg_to_stdout = 0;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(name, "debug-ui")) {
		p->cfg.debug_ui = 1;
		return set_str(&p->cfg.debug_ui_addr, value ? value : "");
	}
	if (!strcmp(name, "grace-ms")) {
		errno = 0;
		n = strtol(value ? value : "", &end, 10);
		if (errno || !end || *end || end == value || n < 0 || n > 3600000)
			return -EINVAL;
		p->cfg.grace_ms = (int)n;
		return 0;
	}
	if (!strcmp(name, "cpu"))
		return parse_cpu(value, &p->cfg.cpu_percent);
	if (!strcmp(name, "memory") || !strcmp(name, "pids")) {
		if (!value || strcmp(value, "unlimited"))
			return -EINVAL;
		if (name[0] == 'm')
			p->cfg.memory = UINT64_MAX;
		else
			p->cfg.pids = UINT32_MAX;
		return 0;
	}
	if (!strcmp(name, "nofile")) {
		uint64_t v;
		if (parse_size(value, &v, 0) < 0 || v == 0 || v > (1u << 20))
			return -EINVAL;
		p->cfg.nofile = (uint32_t)v;
		return 0;
	}
	if (!strcmp(name, "fsize"))
		return parse_size(value, &p->cfg.fsize, 1);
	if (!strcmp(name, "ipc-rate")) {
		uint64_t v;
		if (parse_size(value, &v, 0) < 0 || v > 100000000)
			return -EINVAL;
		p->cfg.proto_rate = (uint32_t)v;
		return 0;
	}
	if (!strcmp(name, "audit-max"))
		return parse_size(value, &p->cfg.audit_max, 1);
	if (!strcmp(name, "audit-level")) {
		if (value && !strcmp(value, "counters"))
			p->cfg.audit_level = SYSAUDIT_COUNTERS;
		else if (value && !strcmp(value, "detailed"))
			p->cfg.audit_level = SYSAUDIT_DETAILED;
		else if (value && !strcmp(value, "all"))
			p->cfg.audit_level = SYSAUDIT_ALL;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(name, "learn")) {
		if (!value || (strcmp(value, "1") && strcmp(value, "0")))
			return -EINVAL;
		p->cfg.learn_on = value[0] == '1';
		return 0;
	}
	if (!strcmp(name, "learn-group-at")) {
		uint64_t v;
		if (parse_size(value, &v, 0) < 0 || v < 2 || v > 1000000)
			return -EINVAL;
		p->cfg.learn_group_at = (int)v;
		return 0;
	}
	if (!strcmp(name, "shadow-policy"))
		return value && *value ? set_str(&p->cfg.shadow_file, value) : -EINVAL;
	if (!strcmp(name, "audit-btf")) /* tests: exercise the eBPF failure path */
		return set_str(&p->cfg.audit_btf, value ? value : "");
	if (!strcmp(name, "pod-id")) {
		size_t len = value ? strlen(value) : 0;
		if (len == 0 || len >= sizeof p->life.id)
			return -EINVAL;
		for (size_t i = 0; i < len; i++)
			if (!((value[i] >= 'a' && value[i] <= 'z') ||
			      (value[i] >= '0' && value[i] <= '9') || value[i] == '-'))
				return -EINVAL;
		memcpy(p->life.id, value, len + 1);
		return 0;
	}
	return -ENOENT;
}

/* ---- accessors ---------------------------------------------------------- */

int podrun_state(const podrun_t *p)
{
	return p ? (int)p->life.state : PODRUN_FAILED;
}

int podrun_exit_code(const podrun_t *p)
{
	if (!p)
		return -EINVAL;
	if (p->life.state != PODRUN_EXITED && p->life.state != PODRUN_FAILED)
		return -EBUSY;
	return p->life.exit_code;
}

const char *podrun_id(const podrun_t *p)
{
	return p ? p->life.id : "";
}

const char *podrun_error(const podrun_t *p)
{
	return p ? p->life.err : "";
}

const char *podrun_debug_ui_url(const podrun_t *p)
{
#ifdef PODRUN_HAVE_DBGUI
	if (p && p->au.ui)
		return dbgui_url(p->au.ui);
#else
	(void)p;
#endif
	return NULL;
}

void podrun_free(podrun_t *p)
{
	if (!p)
		return;
	pr_stop_and_wait(p);
	pr_teardown(p, 1);
	pr_final_close(p);
	pr_evq_clear(&p->au.evq);
	free(p->cfg.program);
	pr_strv_free(p->cfg.args, p->cfg.nargs);
	free(p->cfg.policy_file);
	free(p->cfg.policy_json);
	pr_strv_free(p->cfg.flags, p->cfg.nflags);
	free(p->cfg.audit_path);
	free(p->cfg.debug_ui_addr);
	free(p->cfg.audit_btf);
	free(p->cfg.shadow_file);
	pr_learn_free(p);
	pr_shadow_free(p);
	pr_rootfs_free(p);
	free(p);
}
