/*
 * cases.c — table data for the 04-policy Check suite (see cases.h).
 *
 * Layer 04 (policy), tests only. Grouped by what they prove: path decisions,
 * host/port decisions, IP/CIDR and special ranges, env globs, run and ffi,
 * defaults, flag/file merging, loader errors (with line/column/path), flag
 * errors and normalization.
 */
#include <stddef.h>

#include "cases.h"

#define A POL_ALLOW
#define W POL_WARN
#define D POL_DENY
#define E X_ERR

/* ---------------------------------------------------------------- policies */

static const char P_FS[] =
    "{\"fs\": {\"default\": \"deny\",\n"
    " \"read\": {\"allow\": [\"/data\", \"/usr\", \"/etc/ssl/certs\", \"/tie\", \"/tie2\"],\n"
    "          \"warn\": [\"/etc/hosts\", \"/data/logs\", \"/tie2\"],\n"
    "          \"deny\": [\"/data/secret\", \"/usr/bin/sudo\", \"/data/logs/private\", "
    "\"/tie\"]},\n"
    " \"write\": {\"default\": \"warn\", \"allow\": [\"/tmp/out\"], \"deny\": "
    "[\"/tmp/out/locked\", \"/\"]}}}";

static const char P_NET[] =
    "{\"net\": {\"default\": \"deny\",\n"
    " \"allow\": [\"example.com\", \"*.example.com:443\", \"api.example.com:8443\", "
    "\"*.cdn.example.com\",\n"
    "           \"localhost:8080\", \"10.1.2.3\", \"192.168.0.0/16\", \"[2001:db8::1]:443\",\n"
    "           \"2001:db8:1::/48\", \"pypi.org:443\"],\n"
    " \"warn\": [\"*.example.com\", \"tie.example.com:443\", \"metrics.local\"],\n"
    " \"deny\": [\"evil.example.com\", \"tie.example.com:443\", \"*.internal.example.com\",\n"
    "          \"192.168.66.0/24\", \"10.1.2.3:22\", \"169.254.169.254\"]}}";

static const char P_OPEN_CIDR[] =
    "{\"net\": {\"default\": \"allow\", \"allow\": [\"0.0.0.0/0\", \"::/0\"]}}";
static const char P_LOCAL[] =
    "{\"net\": {\"allow\": [\"127.0.0.1\", \"localhost\", \"*.localhost\"]}}";
static const char P_WILDLOCAL[] = "{\"net\": {\"allow\": [\"*.localhost\"]}}";
static const char P_META[] = "{\"net\": {\"allow\": [\"169.254.0.0/16\", \"10.0.0.0/8\", "
			     "\"fd00::/8\"], \"deny\": [\"10.9.0.0/16\"]}}";

static const char P_ENV[] =
    "{\"env\": {\"default\": \"deny\",\n"
    " \"allow\": [\"LANG\", \"TZ\", \"LC_*\", \"AWS_REGION\", \"PATH\", \"TIE\"],\n"
    " \"warn\": [\"HOME\", \"AWS_*\"],\n"
    " \"deny\": [\"AWS_SECRET*\", \"TIE\", \"LC_ALL\"]}}";

static const char P_RUN[] = "{\"run\": {\"allow\": [\"/usr/bin\", \"sh\"], \"deny\": "
			    "[\"/usr/bin/sudo\"], \"warn\": [\"/usr/bin/git\"]},\n"
			    " \"ffi\": {\"default\": \"warn\", \"allow\": "
			    "[\"/usr/lib/x86_64-linux-gnu/libz.so.1\"], \"deny\": [\"/tmp\"]}}";

static const char P_DEFAULTS[] =
    "{\"fs\": {\"default\": \"allow\", \"write\": {\"default\": \"deny\"}},"
    " \"env\": {\"default\": \"warn\"}}";
static const char P_DEFAULTS2[] =
    "{\"fs\": {\"read\": {\"default\": \"warn\"}, \"default\": \"allow\"}}";

static const char P_MERGE[] =
    "{\"net\": {\"deny\": [\"evil.com\"], \"allow\": [\"a.com\"]},\n"
    " \"fs\": {\"read\": {\"deny\": [\"/data/secret\", \"/etc/shadow\", \"/data\"]}},\n"
    " \"env\": {\"default\": \"allow\"}}";

/* ---------------------------------------------------------------- decisions */

const struct dcase dcases[] = {
	/* paths: whole components, longest prefix, ties, lexical normalization */
	{ P_FS, NULL, POL_FS_READ, "/data", A, "/data" },
	{ P_FS, NULL, POL_FS_READ, "/data/x", A, "/data" },
	{ P_FS, NULL, POL_FS_READ, "/data/x/y/z", A, "/data" },
	{ P_FS, NULL, POL_FS_READ, "/database", D, "default" },
	{ P_FS, NULL, POL_FS_READ, "/dat", D, "default" },
	{ P_FS, NULL, POL_FS_READ, "/data/secret", D, "/data/secret" },
	{ P_FS, NULL, POL_FS_READ, "/data/secret/key", D, "/data/secret" },
	{ P_FS, NULL, POL_FS_READ, "/data/secretive", A, "/data" },
	{ P_FS, NULL, POL_FS_READ, "/data/./secret/../secret/k", D, "/data/secret" },
	{ P_FS, NULL, POL_FS_READ, "/data//secret", D, "/data/secret" },
	{ P_FS, NULL, POL_FS_READ, "/data/secret/", D, "/data/secret" },
	{ P_FS, NULL, POL_FS_READ, "/data/secret/..", A, "/data" },
	{ P_FS, NULL, POL_FS_READ, "/data/logs/app.log", W, "/data/logs" },
	{ P_FS, NULL, POL_FS_READ, "/data/logs/private/a", D, "/data/logs/private" },
	{ P_FS, NULL, POL_FS_READ, "/data/logs/privateer", W, "/data/logs" },
	{ P_FS, NULL, POL_FS_READ, "/etc/hosts", W, "/etc/hosts" },
	{ P_FS, NULL, POL_FS_READ, "/etc/hosts.allow", D, "default" },
	{ P_FS, NULL, POL_FS_READ, "/etc/ssl/certs/ca.pem", A, "/etc/ssl/certs" },
	{ P_FS, NULL, POL_FS_READ, "/etc/ssl", D, "default" },
	{ P_FS, NULL, POL_FS_READ, "/usr/bin/ls", A, "/usr" },
	{ P_FS, NULL, POL_FS_READ, "/usr/bin/sudo", D, "/usr/bin/sudo" },
	{ P_FS, NULL, POL_FS_READ, "/usr/bin/sudoedit", A, "/usr" },
	{ P_FS, NULL, POL_FS_READ, "/", D, "default" },
	{ P_FS, NULL, POL_FS_READ, "/../../data/x", A, "/data" },
	{ P_FS, NULL, POL_FS_READ, "/tie", D, "/tie" },
	{ P_FS, NULL, POL_FS_READ, "/tie/x", D, "/tie" },
	{ P_FS, NULL, POL_FS_READ, "/tie2/x", W, "/tie2" },
	{ P_FS, NULL, POL_FS_READ, "data", E, NULL },
	{ P_FS, NULL, POL_FS_READ, "", E, NULL },
	{ P_FS, NULL, POL_FS_WRITE, "/tmp/out/a", A, "/tmp/out" },
	{ P_FS, NULL, POL_FS_WRITE, "/tmp/out", A, "/tmp/out" },
	{ P_FS, NULL, POL_FS_WRITE, "/tmp/out/locked/x", D, "/tmp/out/locked" },
	{ P_FS, NULL, POL_FS_WRITE, "/tmp/other", D, "/" },
	{ P_FS, NULL, POL_FS_WRITE, "/", D, "/" },
	{ P_FS, NULL, POL_FS_WRITE, "/data/x", D, "/" },

	/* hosts: exact over wildcard, longer suffix over shorter, explicit port over any */
	{ P_NET, NULL, POL_NET, "example.com:443", A, "example.com" },
	{ P_NET, NULL, POL_NET, "example.com", A, "example.com" },
	{ P_NET, NULL, POL_NET, "www.example.com:443", A, "*.example.com:443" },
	{ P_NET, NULL, POL_NET, "www.example.com:80", W, "*.example.com" },
	{ P_NET, NULL, POL_NET, "www.example.com", A, "*.example.com:443" },
	{ P_NET, NULL, POL_NET, "a.b.c.example.com:443", A, "*.example.com:443" },
	{ P_NET, NULL, POL_NET, "api.example.com:8443", A, "api.example.com:8443" },
	{ P_NET, NULL, POL_NET, "api.example.com:443", A, "*.example.com:443" },
	{ P_NET, NULL, POL_NET, "api.example.com:80", W, "*.example.com" },
	{ P_NET, NULL, POL_NET, "evil.example.com:443", D, "evil.example.com" },
	{ P_NET, NULL, POL_NET, "evil.example.com", D, "evil.example.com" },
	{ P_NET, NULL, POL_NET, "tie.example.com:443", D, "tie.example.com:443" },
	{ P_NET, NULL, POL_NET, "tie.example.com:80", W, "*.example.com" },
	{ P_NET, NULL, POL_NET, "x.internal.example.com:443", D, "*.internal.example.com" },
	{ P_NET, NULL, POL_NET, "internal.example.com:443", A, "*.example.com:443" },
	{ P_NET, NULL, POL_NET, "a.cdn.example.com:80", A, "*.cdn.example.com" },
	{ P_NET, NULL, POL_NET, "cdn.example.com:80", W, "*.example.com" },
	{ P_NET, NULL, POL_NET, "EXAMPLE.COM.", A, "example.com" },
	{ P_NET, NULL, POL_NET, "Www.Example.Com:443", A, "*.example.com:443" },
	{ P_NET, NULL, POL_NET, "example.org:443", D, "default" },
	{ P_NET, NULL, POL_NET, "com", D, "default" },
	{ P_NET, NULL, POL_NET, "notexample.com:443", D, "default" },
	{ P_NET, NULL, POL_NET, "localhost:8080", A, "localhost:8080" },
	{ P_NET, NULL, POL_NET, "localhost:8081", D, "default" },
	{ P_NET, NULL, POL_NET, "pypi.org", A, "pypi.org:443" },
	{ P_NET, NULL, POL_NET, "pypi.org:80", D, "default" },
	{ P_NET, NULL, POL_NET, "metrics.local:9000", W, "metrics.local" },
	/* IP literals by name: exact IP, IP:port, longest CIDR prefix, IPv6 */
	{ P_NET, NULL, POL_NET, "10.1.2.3:80", A, "10.1.2.3" },
	{ P_NET, NULL, POL_NET, "10.1.2.3:22", D, "10.1.2.3:22" },
	{ P_NET, NULL, POL_NET, "10.1.2.4:80", D, "default" },
	{ P_NET, NULL, POL_NET, "192.168.1.1:80", A, "192.168.0.0/16" },
	{ P_NET, NULL, POL_NET, "192.168.66.7:80", D, "192.168.66.0/24" },
	{ P_NET, NULL, POL_NET, "[2001:db8::1]:443", A, "[2001:db8::1]:443" },
	{ P_NET, NULL, POL_NET, "[2001:DB8:0::1]:443", A, "[2001:db8::1]:443" },
	{ P_NET, NULL, POL_NET, "[2001:db8::1]:80", D, "default" },
	{ P_NET, NULL, POL_NET, "[2001:db8:1::5]:80", A, "2001:db8:1::/48" },
	{ P_NET, NULL, POL_NET, "2001:db8:1:ffff::1", A, "2001:db8:1::/48" },
	{ P_NET, NULL, POL_NET, "[2001:db8:2::1]:80", D, "default" },
	{ P_NET, NULL, POL_NET, "[::ffff:10.1.2.3]:80", A, "10.1.2.3" },
	/* malformed net requests */
	{ P_NET, NULL, POL_NET, "exa mple.com", E, NULL },
	{ P_NET, NULL, POL_NET, "a..b", E, NULL },
	{ P_NET, NULL, POL_NET, "host:0", E, NULL },
	{ P_NET, NULL, POL_NET, "host:65536", E, NULL },
	{ P_NET, NULL, POL_NET, "host:x", E, NULL },
	{ P_NET, NULL, POL_NET, "[::1", E, NULL },
	{ P_NET, NULL, POL_NET,
	  "b\xc3\xbc"
	  "cher.de",
	  E, NULL },
	{ P_NET, NULL, POL_NET, "", E, NULL },
	{ P_NET, NULL, POL_NET, "2130706433:80", E, NULL },
	{ P_NET, NULL, POL_NET, "1.2.3", E, NULL },
	{ P_NET, NULL, POL_NET, "0x7f.1:80", E, NULL },
	{ P_NET, NULL, POL_NET, "010.0.0.1", E, NULL },
	{ P_NET, NULL, POL_NET, "1a.example.com.:443", A, "*.example.com:443" },

	/* addresses: rules, special ranges, the localhost exception, embedded IPv4 */
	{ P_NET, NULL, CAT_ADDR, "localhost@127.0.0.1:8080", A, "localhost:8080" },
	{ P_NET, NULL, CAT_ADDR, "localhost@[::1]:8080", A, "localhost:8080" },
	{ P_NET, NULL, CAT_ADDR, "localhost@127.0.0.1:9999", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "@127.0.0.1:8080", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "evil.com@127.0.0.1:8080", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "api.example.com@93.184.216.34:443", A, "*.example.com:443" },
	{ P_NET, NULL, CAT_ADDR, "api.example.com@169.254.169.254:80", D, "169.254.169.254" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@10.0.0.5:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@10.1.2.3:443", A, "10.1.2.3" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@10.1.2.3:22", D, "10.1.2.3:22" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@192.168.3.3:443", A, "192.168.0.0/16" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@192.168.66.1:443", D, "192.168.66.0/24" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@172.16.5.5:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@172.31.255.255:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@172.32.0.1:443", A, "*.example.com:443" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@100.64.1.1:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@100.128.0.1:443", A, "*.example.com:443" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@224.0.0.1:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@0.0.0.0:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@255.255.255.255:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@169.254.1.1:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[::1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[::]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[fe80::1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[febf::1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[fd00::1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[fc00::1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[ff02::1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[::ffff:127.0.0.1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[::ffff:10.0.0.1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[::ffff:169.254.169.254]:80", D,
	  "169.254.169.254" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[::127.0.0.1]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[::a9fe:a9fe]:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[64:ff9b::a9fe:a9fe]:80", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "x.example.com@[64:ff9b::808:808]:443", A, "*.example.com:443" },
	{ P_NET, NULL, CAT_ADDR, "www.example.com@[2001:db8::1]:443", A, "[2001:db8::1]:443" },
	{ P_NET, NULL, CAT_ADDR, "www.example.com@[2606:4700::1]:443", A, "*.example.com:443" },
	{ P_NET, NULL, CAT_ADDR, "example.org@93.184.216.34:443", D, "default" },
	{ P_NET, NULL, CAT_ADDR, "@8.8.8.8:53", D, "default" },
	{ P_OPEN_CIDR, NULL, CAT_ADDR, "@169.254.169.254:80", D, "default" },
	{ P_OPEN_CIDR, NULL, CAT_ADDR, "@127.0.0.1:80", D, "default" },
	{ P_OPEN_CIDR, NULL, CAT_ADDR, "@8.8.8.8:53", A, "0.0.0.0/0" },
	{ P_OPEN_CIDR, NULL, CAT_ADDR, "@[2606:4700::1]:443", A, "::/0" },
	{ P_OPEN_CIDR, NULL, CAT_ADDR, "@[fe80::1]:443", D, "default" },
	{ P_OPEN_CIDR, NULL, POL_NET, "8.8.8.8", A, "0.0.0.0/0" },
	{ P_OPEN_CIDR, NULL, POL_NET, "[::1]:80", A, "::/0" },
	{ P_LOCAL, NULL, CAT_ADDR, "@127.0.0.1:5000", A, "127.0.0.1" },
	{ P_LOCAL, NULL, CAT_ADDR, "@127.0.0.2:5000", D, "default" },
	{ P_LOCAL, NULL, CAT_ADDR, "localhost@127.0.0.2:5000", A, "localhost" },
	{ P_LOCAL, NULL, CAT_ADDR, "LOCALHOST.@[::1]:5000", A, "localhost" },
	{ P_LOCAL, NULL, CAT_ADDR, "localhost@10.0.0.1:5000", D, "default" },
	{ P_WILDLOCAL, NULL, CAT_ADDR, "a.localhost@127.0.0.1:80", D, "default" },
	{ P_META, NULL, CAT_ADDR, "@169.254.169.254:80", D, "default" },
	{ P_META, NULL, CAT_ADDR, "@169.254.1.1:80", A, "169.254.0.0/16" },
	{ P_META, NULL, CAT_ADDR, "@10.1.1.1:80", A, "10.0.0.0/8" },
	{ P_META, NULL, CAT_ADDR, "@10.9.1.1:80", D, "10.9.0.0/16" },
	{ P_META, NULL, CAT_ADDR, "@[fd12::1]:80", A, "fd00::/8" },
	{ P_META, NULL, CAT_ADDR, "@[fe80::1]:80", D, "default" },

	/* env: exact over glob, longer glob prefix over shorter, ties, case */
	{ P_ENV, NULL, POL_ENV, "LANG", A, "LANG" },
	{ P_ENV, NULL, POL_ENV, "LC_TIME", A, "LC_*" },
	{ P_ENV, NULL, POL_ENV, "LC_ALL", D, "LC_ALL" },
	{ P_ENV, NULL, POL_ENV, "LC_", A, "LC_*" },
	{ P_ENV, NULL, POL_ENV, "LC", D, "default" },
	{ P_ENV, NULL, POL_ENV, "AWS_REGION", A, "AWS_REGION" },
	{ P_ENV, NULL, POL_ENV, "AWS_KEY", W, "AWS_*" },
	{ P_ENV, NULL, POL_ENV, "AWS_SECRET_ACCESS_KEY", D, "AWS_SECRET*" },
	{ P_ENV, NULL, POL_ENV, "AWS_SECRET", D, "AWS_SECRET*" },
	{ P_ENV, NULL, POL_ENV, "AWS_SECRE", W, "AWS_*" },
	{ P_ENV, NULL, POL_ENV, "TIE", D, "TIE" },
	{ P_ENV, NULL, POL_ENV, "lang", D, "default" },
	{ P_ENV, NULL, POL_ENV, "HOME", W, "HOME" },
	{ P_ENV, NULL, POL_ENV, "USER", D, "default" },
	{ P_ENV, NULL, POL_ENV, "", E, NULL },
	{ P_ENV, NULL, POL_ENV, "A=B", E, NULL },

	/* run and ffi: directories, bare names resolved on the search path (/bin here) */
	{ P_RUN, NULL, POL_RUN, "/usr/bin/ls", A, "/usr/bin" },
	{ P_RUN, NULL, POL_RUN, "/usr/bin/sudo", D, "/usr/bin/sudo" },
	{ P_RUN, NULL, POL_RUN, "/usr/bin/git", W, "/usr/bin/git" },
	{ P_RUN, NULL, POL_RUN, "/bin/sh", A, "/bin/sh" },
	{ P_RUN, NULL, POL_RUN, "/bin/ls", D, "default" },
	{ P_RUN, NULL, POL_RUN, "sh", A, "/bin/sh" },
	{ P_RUN, NULL, POL_RUN, "/usr/local/bin/tool", D, "default" },
	{ P_RUN, NULL, POL_RUN, "no-such-program-here", E, NULL },
	{ P_RUN, NULL, POL_RUN, "bin/sh", E, NULL },
	{ P_RUN, NULL, POL_RUN, "./sh", E, NULL },
	{ P_RUN, NULL, POL_FFI, "/usr/lib/x86_64-linux-gnu/libz.so.1", A,
	  "/usr/lib/x86_64-linux-gnu/libz.so.1" },
	{ P_RUN, NULL, POL_FFI, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", W, "default" },
	{ P_RUN, NULL, POL_FFI, "/tmp/evil.so", D, "/tmp" },
	{ P_RUN, NULL, POL_FFI, "lib.so", E, NULL },

	/* defaults: deny when absent; fs.default vs fs.read/write.default */
	{ "{}", NULL, POL_NET, "example.com:443", D, "default" },
	{ "{}", NULL, POL_FS_READ, "/", D, "default" },
	{ "{}", NULL, POL_FS_WRITE, "/tmp", D, "default" },
	{ "{}", NULL, POL_RUN, "/bin/sh", D, "default" },
	{ "{}", NULL, POL_ENV, "PATH", D, "default" },
	{ "{}", NULL, POL_FFI, "/lib/x.so", D, "default" },
	{ NULL, NULL, POL_NET, "example.com", D, "default" },
	{ P_DEFAULTS, NULL, POL_FS_READ, "/x", A, "default" },
	{ P_DEFAULTS, NULL, POL_FS_WRITE, "/x", D, "default" },
	{ P_DEFAULTS, NULL, POL_ENV, "X", W, "default" },
	{ P_DEFAULTS, NULL, POL_NET, "x.org", D, "default" },
	{ P_DEFAULTS2, NULL, POL_FS_READ, "/x", W, "default" },
	{ P_DEFAULTS2, NULL, POL_FS_WRITE, "/x", A, "default" },

	/* flags on top of the file */
	{ P_MERGE, "--allow-net", POL_NET, "other.org:443", A, "default" },
	{ P_MERGE, "--allow-net", POL_NET, "evil.com:443", D, "evil.com" },
	{ P_MERGE, "--allow-net=b.com", POL_NET, "b.com:443", A, "b.com" },
	{ P_MERGE, "--allow-net=b.com", POL_NET, "c.com:443", D, "default" },
	{ P_MERGE, "--allow-net=a.com", POL_NET, "a.com", A, "a.com" },
	{ P_MERGE, "--allow-net=evil.com", POL_NET, "evil.com", D, "evil.com" },
	{ P_MERGE, "--warn-net=*.a.com:443", POL_NET, "x.a.com:443", W, "*.a.com:443" },
	{ P_MERGE, "--allow-read=/data/secret", POL_FS_READ, "/data/secret/k", D, "/data/secret" },
	{ P_MERGE, "--allow-read=/data/pub", POL_FS_READ, "/data/pub/x", A, "/data/pub" },
	{ P_MERGE, "--allow-read=/data/pub", POL_FS_READ, "/data/other", D, "/data" },
	{ P_MERGE, "--allow-read", POL_FS_READ, "/home/x", A, "default" },
	{ P_MERGE, "--allow-read", POL_FS_READ, "/etc/shadow", D, "/etc/shadow" },
	{ P_MERGE, "--allow-read", POL_FS_WRITE, "/home/x", D, "default" },
	{ P_MERGE, "--deny-env", POL_ENV, "HOME", D, "default" },
	{ P_MERGE, "--deny-env=AWS_*", POL_ENV, "AWS_X", D, "AWS_*" },
	{ P_MERGE, "--deny-env=AWS_*", POL_ENV, "HOME", A, "default" },
	{ NULL, "--allow-all", POL_ENV, "FOO", A, "default" },
	{ NULL, "--allow-all", POL_FS_WRITE, "/x", A, "default" },
	{ NULL, "--allow-all", POL_NET, "x.org:1", A, "default" },
	{ NULL, "--allow-all", CAT_ADDR, "x.org@169.254.169.254:80", D, "default" },
	{ NULL, "--allow-all --deny-env=AWS_*", POL_ENV, "AWS_X", D, "AWS_*" },
	{ NULL, "--allow-write=/tmp/a,/tmp/b", POL_FS_WRITE, "/tmp/b/x", A, "/tmp/b" },
	{ NULL, "--allow-write=/tmp/a,/tmp/b", POL_FS_WRITE, "/tmp/c", D, "default" },
	{ NULL, "--allow-env=HOME,LC_*", POL_ENV, "LC_ALL", A, "LC_*" },
	{ NULL, "--allow-run=/usr/bin/env", POL_RUN, "/usr/bin/env", A, "/usr/bin/env" },
	{ NULL, "--allow-run=sh", POL_RUN, "/bin/sh", A, "/bin/sh" },
	{ NULL, "--allow-ffi=/lib/x.so", POL_FFI, "/lib/x.so", A, "/lib/x.so" },
	{ NULL, "--deny-read=/data --allow-read", POL_FS_READ, "/data/x", D, "/data" },
	{ NULL, "--deny-read=/data --allow-read", POL_FS_READ, "/x", A, "default" },
	{ NULL, "--allow-net --deny-net", POL_NET, "x.org", D, "default" },
	{ NULL, "--warn-net", POL_NET, "x.org", W, "default" },
	{ NULL, "--allow-net=[::1]:8080,10.0.0.0/8", POL_NET, "10.2.3.4:1", A, "10.0.0.0/8" },
	{ NULL, "--allow-net=[::1]:8080,10.0.0.0/8", CAT_ADDR, "@[::1]:8080", A, "[::1]:8080" },
};
const int n_dcases = sizeof(dcases) / sizeof(dcases[0]);

/* ---------------------------------------------------------------- loader errors */

const struct ecase ecases[] = {
	/* syntax */
	{ "{\"net\": {\"allow\": [\"x\",]}}", 1, 24, "$", "JSON syntax error", "trailing comma" },
	{ "{\n  \"net\": {\n", 3, 1, "$", "JSON syntax error", "ends early" },
	{ "{'net': {}}", 1, 2, "$", "JSON syntax error", "double quotes" },
	{ "{\n// hi\n}", 2, 1, "$", "JSON syntax error", "no comments" },
	{ "{\"net\" {}}", 1, 8, "$", "JSON syntax error", NULL },
	{ "{} x", 1, 4, "$", "JSON syntax error", NULL },
	{ "", 1, 1, "$", "empty", "{}" },
	{ "  \n ", 1, 1, "$", "empty", NULL },
	/* \u0000 would cut a string short in cJSON: an allow for "/data\u0000/x" must not become "/data" */
	{ "{\"fs\": {\"read\": {\"allow\": [\"/data\\u0000/x\"]}}}", 1, 34, "$", "\\u0000", "NUL" },
	{ "{\"net\\u0000x\": {}}", 1, 6, "$", "\\u0000", NULL },
	/* shape */
	{ "[1]", 1, 1, "$", "must be a JSON object", NULL },
	{ "\"x\"", 1, 1, "$", "must be a JSON object", NULL },
	/* unknown keys, with hints */
	{ "{\n  \"version\": 1,\n  \"net\": { \"alow\": [\"x\"] }\n}", 3, 12, "$.net.alow",
	  "unknown key `alow`", "did you mean `allow`?" },
	{ "{\"netz\": {}}", 1, 2, "$.netz", "unknown key `netz`", "did you mean `net`?" },
	{ "{\"permissions\": {}}", 1, 2, "$.permissions", "unknown key",
	  "known keys here: version net fs" },
	{ "{\"fs\": {\"read\": {\"alow\": []}}}", 1, 18, "$.fs.read.alow", "unknown key",
	  "did you mean `allow`?" },
	{ "{\"fs\": {\"exec\": {}}}", 1, 9, "$.fs.exec", "unknown key `exec`", NULL },
	{ "{\"limits\": {\"memroy\": 5}}", 1, 13, "$.limits.memroy", "unknown key",
	  "did you mean `memory`?" },
	/* duplicate keys */
	{ "{\n  \"net\": { \"allow\": [\"x\"], \"allow\": [] }\n}", 2, 28, "$.net.allow",
	  "duplicate key `allow`", "first given at line 2, column 12" },
	{ "{\"net\": {},\n\"net\": {}}", 2, 1, "$.net", "duplicate key `net`", "line 1, column 2" },
	{ "{\"version\": 1, \"version\": 1}", 1, 16, "$.version", "duplicate key", NULL },
	/* wrong types */
	{ "{\"fs\": {\"read\": {\"allow\": \"/data\"}}}", 1, 27, "$.fs.read.allow",
	  "must be an array of strings, not a string", "[\"/data\"]" },
	{ "{\"net\": {\"default\": 1}}", 1, 21, "$.net.default", "must be a string, not a number",
	  NULL },
	{ "{\"run\": {\"default\": null}}", 1, 21, "$.run.default", "not null", NULL },
	{ "{\"net\": []}", 1, 9, "$.net", "must be an object, not an array", NULL },
	{ "{\"fs\": {\"read\": \"/data\"}}", 1, 17, "$.fs.read", "must be an object", NULL },
	{ "{\"version\": \"1\"}", 1, 13, "$.version", "version must be a number", NULL },
	{ "{\"env\": {\"allow\": [\"A\", 5]}}", 1, 25, "$.env.allow[1]", "not a number", NULL },
	{ "{\"run\": {\"allow\": [true]}}", 1, 20, "$.run.allow[0]", "not a boolean", NULL },
	{ "{\"limits\": {\"memory\": false}}", 1, 23, "$.limits.memory", "must be a number", NULL },
	/* bad values */
	{ "{\"version\": 2}", 1, 13, "$.version", "unsupported policy version 2", "version 1" },
	{ "{\"version\": 1.5}", 1, 13, "$.version", "unsupported policy version 1.5", NULL },
	{ "{\"env\": {\"default\": \"alow\"}}", 1, 21, "$.env.default", "`alow` is not an action",
	  "did you mean `allow`?" },
	{ "{\"env\": {\"default\": \"Deny\"}}", 1, 21, "$.env.default", "not an action",
	  "did you mean `deny`?" },
	{ "{\"limits\": {\"timeout_s\": -1}}", 1, 26, "$.limits.timeout_s", "whole number", NULL },
	{ "{\"limits\": {\"timeout_s\": 1.5}}", 1, 26, "$.limits.timeout_s", "whole number", NULL },
	{ "{\"limits\": {\"memory\": \"12q\"}}", 1, 23, "$.limits.memory", "not a memory size",
	  "256m" },
	{ "{\"limits\": {\"pids\": 0}}", 1, 21, "$.limits.pids", "whole number", NULL },
	{ "{\"limits\": {\"memory\": \"20000000000g\"}}", 1, 23, "$.limits.memory",
	  "not a memory size", NULL },
	{ "{\"limits\": {\"memory\": \"0\"}}", 1, 23, "$.limits.memory", "not a memory size",
	  NULL },
	{ "{\"limits\": {\"memory\": \"8388609g\"}}", 1, 23, "$.limits.memory", "not a memory size",
	  NULL },
	{ "{\"limits\": {\"pids\": 4194305}}", 1, 21, "$.limits.pids", "whole number", NULL },
	{ "{\"limits\": {\"cpu\": 0}}", 1, 20, "$.limits.cpu", "number of CPUs", "1.5" },
	{ "{\"limits\": {\"nofile\": 0}}", 1, 23, "$.limits.nofile", "whole number", NULL },
	{ "{\"limits\": {\"fsize\": \"1x\"}}", 1, 22, "$.limits.fsize", "not a size", "64m" },
	/* patterns */
	{ "{\"env\": {\"allow\": [\"\"]}}", 1, 20, "$.env.allow[0]", "empty pattern", NULL },
	{ "{\"fs\": {\"write\": {\"deny\": [\"tmp/x\"]}}}", 1, 28, "$.fs.write.deny[0]",
	  "is not absolute", "paths in a policy file are absolute" },
	{ "{\"fs\": {\"read\": {\"allow\": [\".\"]}}}", 1, 28, "$.fs.read.allow[0]",
	  "is not absolute", "flags resolve relative paths against the working directory" },
	{ "{\"ffi\": {\"allow\": [\"~/lib.so\"]}}", 1, 20, "$.ffi.allow[0]", "not absolute",
	  "`~` is not expanded" },
	{ "{\"run\": {\"allow\": [\"/usr/bin/*\"]}}", 1, 20, "$.run.allow[0]",
	  "wildcards are not supported", "/usr/bin" },
	{ "{\"run\": {\"allow\": [\".\"]}}", 1, 20, "$.run.allow[0]", "is not a program", NULL },
	{ "{\n \"net\": {\n  \"allow\": [\n   \"a.com\",\n   \"b.*.com\"\n  ]\n }\n}", 5, 4,
	  "$.net.allow[1]", "wildcard", "leading `*.`" },
	{ "{\"net\": {\"allow\": [\"*\"]}}", 1, 20, "$.net.allow[0]", "`*` alone", "default" },
	{ "{\"net\": {\"deny\": [\"b\xc3\xbc"
	  "cher.de\"]}}",
	  1, 19, "$.net.deny[0]", "non-ASCII", "punycode" },
	{ "{\"net\": {\"allow\": [\"a.com:0\"]}}", 1, 20, "$.net.allow[0]", "out of range",
	  "1-65535" },
	{ "{\"net\": {\"allow\": [\"a.com:70000\"]}}", 1, 20, "$.net.allow[0]", "out of range",
	  NULL },
	{ "{\"net\": {\"allow\": [\"a.com:https\"]}}", 1, 20, "$.net.allow[0]", "is not a number",
	  NULL },
	{ "{\"net\": {\"allow\": [\"a.com:\"]}}", 1, 20, "$.net.allow[0]", "empty port", NULL },
	{ "{\"net\": {\"allow\": [\"https://a.com\"]}}", 1, 20, "$.net.allow[0]", "is a URL",
	  "example.com:443" },
	{ "{\"net\": {\"allow\": [\"10.0.0.1/8\"]}}", 1, 20, "$.net.allow[0]", "bits set",
	  "did you mean `10.0.0.0/8`?" },
	{ "{\"net\": {\"allow\": [\"fd00::1/8\"]}}", 1, 20, "$.net.allow[0]", "bits set",
	  "`fd00::/8`" },
	{ "{\"net\": {\"allow\": [\"10.0.0.0/33\"]}}", 1, 20, "$.net.allow[0]", "too long", NULL },
	{ "{\"net\": {\"allow\": [\"a.com/x\"]}}", 1, 20, "$.net.allow[0]",
	  "neither a host nor a CIDR", "not URLs" },
	{ "{\"net\": {\"allow\": [\"[::1\"]}}", 1, 20, "$.net.allow[0]", "missing `]`", NULL },
	{ "{\"net\": {\"allow\": [\"[10.0.0.1]:80\"]}}", 1, 20, "$.net.allow[0]",
	  "is not an IPv6 address", NULL },
	{ "{\"net\": {\"allow\": [\"[::1]x\"]}}", 1, 20, "$.net.allow[0]", "unexpected", NULL },
	{ "{\"net\": {\"allow\": [\"1:2:3:4:5:6:7:8:9\"]}}", 1, 20, "$.net.allow[0]",
	  "not a valid IPv6", "brackets" },
	{ "{\"net\": {\"allow\": [\"999.1.1.1\"]}}", 1, 20, "$.net.allow[0]", "not a valid IPv4",
	  NULL },
	{ "{\"net\": {\"allow\": [\"a b.com\"]}}", 1, 20, "$.net.allow[0]", "white space", NULL },
	{ "{\"net\": {\"allow\": [\"a..com\"]}}", 1, 20, "$.net.allow[0]", "empty label", NULL },
	{ "{\"net\": {\"allow\": "
	  "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\"]}}",
	  1, 20, "$.net.allow[0]", "not a valid host name", "63" },
	{ "{\"env\": {\"allow\": [\"1BAD\"]}}", 1, 20, "$.env.allow[0]",
	  "not a valid environment variable", NULL },
	{ "{\"env\": {\"allow\": [\"*\"]}}", 1, 20, "$.env.allow[0]", "`*` alone", NULL },
	{ "{\"env\": {\"allow\": [\"A*B\"]}}", 1, 20, "$.env.allow[0]", "not at the end", "AWS_*" },
	/* duplicates after normalization */
	{ "{\"net\": {\"allow\": [\"a.com\", \"A.com.\"]}}", 1, 29, "$.net.allow[1]",
	  "duplicate allow rule `a.com`", "line 1, column 20" },
	{ "{\"fs\": {\"read\": {\"deny\": [\"/a/\",\n \"/a/b/..\"]}}}", 2, 2, "$.fs.read.deny[1]",
	  "duplicate deny rule `/a`", NULL },
	/* a unicode character before the error counts as one column */
	{ "{\"fs\": {\"read\": {\"allow\": [\"/d\xc3\xa9j\xc3\xa0\", \"x\"]}}}", 1, 37,
	  "$.fs.read.allow[1]", "not absolute", NULL },
};
const int n_ecases = sizeof(ecases) / sizeof(ecases[0]);

/* ---------------------------------------------------------------- flag errors */

const struct fcase fcases[] = {
	{ "--allow-net=a.com,,b.com", -22, 19, "--allow-net[1]", "empty pattern", NULL },
	{ "--allow-net=", -22, 13, "--allow-net[0]", "empty pattern", NULL },
	{ "--allow-read=~/x", -22, 14, "--allow-read[0]", "not absolute", "`~` is not expanded" },
	{ "--warn-write=/a,~b", -22, 17, "--warn-write[1]", "not absolute", NULL },
	/* numeric IPv4 disguises, empty labels, two ports, a port without a host */
	{ "--allow-net=0x7f000001", -22, 13, "--allow-net[0]", "last label is a number", "no hex" },
	{ "--allow-net=127.0.0.0x1", -22, 13, "--allow-net[0]", "last label is a number",
	  "no hex" },
	{ "--allow-net=a.com,0X7F.1", -22, 19, "--allow-net[1]", "last label is a number", NULL },
	{ "--allow-net=deno.land..", -22, 13, "--allow-net[0]", "empty label",
	  "must not be empty" },
	{ "--allow-net=example.com:80:443", -22, 13, "--allow-net[0]", "has two ports",
	  "one port per rule" },
	{ "--allow-net=1.2.3.4:80:443", -22, 13, "--allow-net[0]", "has two ports", NULL },
	{ "--allow-net=:8080", -22, 13, "--allow-net[0]", "`:8080` names a port without a host",
	  "`HOST:8080`" },
	{ "--deny-env=1BAD", -22, 12, "--deny-env[0]", "not a valid environment variable", NULL },
	{ "--allow-net=10.0.0.1/8", -22, 13, "--allow-net[0]", "bits set", "10.0.0.0/8" },
	{ "--deny-net=*", -22, 12, "--deny-net[0]", "`*` alone", "bare --allow-net" },
	{ "--allow-nett", -22, 1, "--allow-nett", "unknown permission flag",
	  "did you mean `--allow-net`?" },
	{ "--allow-reed=/x", -22, 1, "--allow-reed", "unknown permission flag", "--allow-read" },
	{ "--allow-sys", -22, 1, "--allow-sys", "unknown permission flag", NULL },
	{ "--allow-all=1", -22, 12, "--allow-all", "unexpected value", NULL },
	{ "--policy=x.json", -2, -1, NULL, NULL, NULL },
	{ "--timeout", -2, -1, NULL, NULL, NULL },
	{ "-q", -2, -1, NULL, NULL, NULL },
	{ "allow-net", -2, -1, NULL, NULL, NULL },
};
const int n_fcases = sizeof(fcases) / sizeof(fcases[0]);

/* ---------------------------------------------------------------- normalization */

const struct ncase ncases[] = {
	{ POL_NET, "Example.COM.", "example.com" },
	{ POL_NET, "*.Example.com:443", "*.example.com:443" },
	{ POL_NET, "host:0443", "host:443" },
	{ POL_NET, "[2001:DB8:0:0::1]:443", "[2001:db8::1]:443" },
	{ POL_NET, "2001:0db8::0001", "2001:db8::1" },
	{ POL_NET, "[::1]", "::1" },
	{ POL_NET, "::ffff:10.0.0.1", "10.0.0.1" },
	{ POL_NET, "[::ffff:10.0.0.1]:80", "10.0.0.1:80" },
	{ POL_NET, "10.0.0.0/8", "10.0.0.0/8" },
	{ POL_NET, "FD00::/8", "fd00::/8" },
	{ POL_NET, "::ffff:10.0.0.0/104", "10.0.0.0/8" },
	{ POL_NET, "0.0.0.0/0", "0.0.0.0/0" },
	{ POL_NET, "xn--bcher-kva.de", "xn--bcher-kva.de" },
	{ POL_NET, "_srv.example.com", "_srv.example.com" },
	{ POL_NET, "010.0.0.1", NULL },
	{ POL_NET, "1.2.3", NULL },
	{ POL_NET, "*example.com", NULL },
	{ POL_NET, "*.*.example.com", NULL },
	{ POL_NET, "a.com:80:90", NULL },
	{ POL_NET, "fe80::1%eth0", NULL },
	{ POL_FS_READ, "/a/./b//c/", "/a/b/c" },
	{ POL_FS_READ, "/a/b/../c", "/a/c" },
	{ POL_FS_READ, "/..", "/" },
	{ POL_FS_READ, "//", "/" },
	{ POL_FS_READ, "/a/.../b", "/a/.../b" },
	{ POL_FS_WRITE, "/tmp/../../x/", "/x" },
	{ POL_FS_WRITE, "~x",
	  NULL }, /* relative flag paths: test_relative_flag_paths_resolve_against_cwd */
	{ POL_ENV, "AWS_*", "AWS_*" },
	{ POL_ENV, "lower_ok", "lower_ok" },
	{ POL_ENV, "_X1", "_X1" },
	{ POL_ENV, "A-B", NULL },
	{ POL_RUN, "/usr/bin/../bin/ls", "/usr/bin/ls" },
	{ POL_RUN, "sh", "/bin/sh" },
	{ POL_RUN, "~/bin/sh", NULL },
	{ POL_FFI, "/usr/lib//libz.so.1", "/usr/lib/libz.so.1" },
};
const int n_ncases = sizeof(ncases) / sizeof(ncases[0]);
