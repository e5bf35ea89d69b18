/*
 * podpolicy.c — command-line front end of layer 04-policy.
 *
 * Layer 04 (policy). Builds on libpolicy.a (policy.h). Used by people writing
 * policies, by the layer's tests and by scripts:
 *
 *   podpolicy check [FLAGS...] POLICY.json CATEGORY REQUEST
 *       prints the decision, the rule and the reason;
 *       exit 0 allow, 1 deny, 3 warn, 2 error
 *   podpolicy fmt [FLAGS...] POLICY.json
 *       prints the normalized policy as JSON (exit 0, or 2 on error)
 *
 * FLAGS are the Deno-style permission flags of docs/contracts.md, "Command line" (applied on top of
 * the file) and --search-path=DIRS (for bare program names in run rules).
 * POLICY.json may be "-" (standard input) or "none" (flags only).
 * CATEGORY is net, fs.read (read), fs.write (write), run, env, ffi, or addr:
 * then REQUEST is an address, "ADDR:PORT", "[V6]:PORT", optionally "HOST@ADDR..."
 * (the address check the proxy makes for each resolved IP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: podpolicy check [FLAGS...] POLICY.json CATEGORY REQUEST\n"
		"       podpolicy fmt [FLAGS...] POLICY.json\n"
		"  POLICY.json: a file, - (stdin) or none\n"
		"  CATEGORY: net fs.read fs.write run env ffi addr\n"
		"  FLAGS: --allow-net[=LIST] --deny-read=LIST ... --allow-all --search-path=DIRS\n"
		"  exit: 0 allow, 1 deny, 3 warn, 2 error\n");
}

static void print_error(const struct pol_error *e, int ret)
{
	if (e->line > 0)
		fprintf(stderr, "%s:%d:%d: error: %s", e->file, e->line, e->column, e->msg);
	else if (e->column > 0)
		fprintf(stderr, "%s: column %d: error: %s", e->file, e->column, e->msg);
	else
		fprintf(stderr, "%s: error: %s", e->file[0] ? e->file : "podpolicy",
			e->msg[0] ? e->msg : strerror(-ret));
	if (e->path[0])
		fprintf(stderr, " (at %s)", e->path);
	fputc('\n', stderr);
	if (e->hint[0])
		fprintf(stderr, "  hint: %s\n", e->hint);
}

static int load_stdin(policy_t *p, struct pol_error *err)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int ret;

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	if (!buf)
		return -ENOMEM;
	ret = policy_load_json(p, buf, n, "<stdin>", err);
	free(buf);
	return ret;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT", "V6" -> sockaddr */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char buf[80];
	const char *colon = strrchr(s, ':');
	unsigned long port = 0;

	memset(ss, 0, sizeof(*ss));
	snprintf(buf, sizeof(buf), "%s", s);
	if (s[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close)
			return -EINVAL;
		*close = '\0';
		if (close[1] == ':')
			port = strtoul(close + 2, NULL, 10);
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	} else if (colon && strchr(s, ':') == colon) {
		buf[colon - s] = '\0';
		port = strtoul(colon + 1, NULL, 10);
	}
	if (port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -EINVAL;
}

static int decide(policy_t *p, const char *cat, const char *req, struct pol_decision *d)
{
	enum pol_cat c;

	if (strcmp(cat, "addr") == 0) {
		struct sockaddr_storage ss;
		char host[300] = "";
		const char *at = strchr(req, '@');
		if (at) {
			snprintf(host, sizeof(host), "%.*s", (int)(at - req), req);
			req = at + 1;
		}
		if (parse_addr(req, &ss) < 0)
			return -EINVAL;
		return policy_decide_addr(p, at ? host : NULL, (struct sockaddr *)&ss, d);
	}
	if (policy_cat_parse(cat, &c) < 0) {
		fprintf(stderr, "podpolicy: unknown category `%s`\n", cat);
		return -EINVAL;
	}
	return policy_decide(p, c, req, d);
}

int main(int argc, char **argv)
{
	struct pol_error err = { 0 };
	policy_t *p = NULL;
	const char *pos[4];
	int npos = 0, ret, status = 2, check;

	if (argc < 2 || (strcmp(argv[1], "check") && strcmp(argv[1], "fmt"))) {
		usage();
		return 2;
	}
	check = strcmp(argv[1], "check") == 0;
	/* 1. a policy and the flags */
	if (policy_new(&p) < 0)
		return 2;
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "--search-path=", 14) == 0) {
			policy_set_search_path(p, argv[i] + 14);
		} else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2]) {
			ret = policy_apply_flag(p, argv[i], &err);
			if (ret == -ENOENT) {
				fprintf(stderr, "podpolicy: unknown option %s\n", argv[i]);
				goto cleanup;
			}
			if (ret < 0) {
				print_error(&err, ret);
				goto cleanup;
			}
		} else if (npos < 4) {
			pos[npos++] = argv[i];
		} else {
			usage();
			goto cleanup;
		}
	}
	if (npos != (check ? 3 : 1)) {
		usage();
		goto cleanup;
	}
	/* 2. the file */
	if (strcmp(pos[0], "none") == 0)
		ret = 0;
	else if (strcmp(pos[0], "-") == 0)
		ret = load_stdin(p, &err);
	else
		ret = policy_load_file(p, pos[0], &err);
	if (ret == 0)
		ret = policy_finalize(p, &err);
	if (ret < 0) {
		print_error(&err, ret);
		goto cleanup;
	}
	/* 3. the command */
	if (check) {
		struct pol_decision d = { .reason = "" };
		ret = decide(p, pos[1], pos[2], &d);
		if (ret < 0) {
			if (ret == -EINVAL && d.reason[0])
				fprintf(stderr, "podpolicy: %s\n", d.reason);
			else
				fprintf(stderr, "podpolicy: bad %s request `%s`: %s\n", pos[1], pos[2],
					strerror(-ret));
			goto cleanup;
		}
		printf("%s\nrule: %s\nreason: %s\n", policy_action_name(d.action), d.rule, d.reason);
		status = d.action == POL_ALLOW ? 0 : d.action == POL_DENY ? 1 : 3;
	} else {
		char *json = NULL;
		if (policy_to_json(p, &json) < 0)
			goto cleanup;
		printf("%s\n", json);
		free(json);
		status = 0;
	}
cleanup:
	policy_free(p);
	return status;
}
