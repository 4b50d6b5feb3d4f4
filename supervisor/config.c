/*
 * The daemon's configuration (SPEC.md section 4): reads the YAML file with
 * libyaml's document API, checks every key and value, fills the defaults and
 * refuses a bad file with "FILE:LINE: reason".  It owns struct config and
 * everything hanging off it; it reads no secrets, tokens or keys itself.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "nebula-plugind.h"

#define CONF_MAX_FILE		(4 * 1024 * 1024)
#define CONF_MAX_DURATION	(366.0 * 86400.0)
#define CONF_MAX_INSTANCES	1024
#define CONF_MAX_QUEUE		1000000
#define CONF_MAX_NOFILE		1073741824LL
#define CONF_PATH_MAX		192	/* "plugins[0].env.NAME" for errors */

struct conf_parse {
	yaml_document_t	*cp_doc;
	const char	*cp_name;	/* file name for errors */
	const char	*cp_dir;	/* for relative commands, or NULL */
	char		*cp_err;
	size_t		 cp_errlen;
	int		 cp_nerr;	/* errors so far, one a line */
};

static const char *const conf_root_keys[] = {
	"access_log", "auth", "drain_delay", "front_processes", "limits",
	"listen", "plugins", "resource_id_key_file", "tls", NULL
};
static const char *const conf_auth_keys[] = {
	"metrics_public", "tokens_file", NULL
};
static const char *const conf_tls_keys[] = {
	"cert_file", "client_ca_file", "key_file", NULL
};
static const char *const conf_limits_keys[] = {
	"body_timeout", "header_timeout", "idle_timeout", "max_body_bytes",
	"max_connections", "max_header_bytes", "max_line_bytes", NULL
};
static const char *const conf_plugin_keys[] = {
	"command", "concurrency", "env", "group", "image", "instances",
	"log_rate", "name", "queue", "rate", "restart", "rlimits", "secrets",
	"task_types", "timeouts", "tokens_file", "user", "workdir", NULL
};
static const char *const conf_tt_keys[] = { "type", "versions", NULL };
static const char *const conf_timeout_keys[] = {
	"create", "delete", "get", "start", "stop", NULL
};
static const char *const conf_restart_keys[] = { "initial", "max", NULL };
static const char *const conf_secret_keys[] = { "file", NULL };
static const char *const conf_rlimit_keys[] = { "as", "cpu", "nofile", NULL };
static const char *const conf_rate_keys[] = {
	"burst", "create", "delete", "get", NULL
};
static const char *const conf_log_rate_keys[] = { "bytes", "lines", NULL };

static void	 conf_path(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 conf_error(struct conf_parse *, const yaml_node_t *,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

/* Names where a value sits ("plugins[0].timeouts"); truncation is harmless. */
static void
conf_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * Adds "FILE:LINE: PATH: reason" to the caller's buffer: the errors of one
 * parse, one a line, as many as fit.
 */
static int
conf_error(struct conf_parse *cp, const yaml_node_t *n, const char *path,
    const char *fmt, ...)
{
	va_list	 ap;
	size_t	 line = 1, len;
	int	 r;

	if (cp->cp_errlen == 0)
		return -1;
	len = cp->cp_nerr > 0 ? strlen(cp->cp_err) : 0;
	if (len + 2 >= cp->cp_errlen)
		return -1;
	if (len > 0)
		cp->cp_err[len++] = '\n';
	cp->cp_nerr++;
	if (n != NULL)
		line = n->start_mark.line + 1;
	if (path != NULL && *path != '\0')
		r = snprintf(cp->cp_err + len, cp->cp_errlen - len,
		    "%s:%zu: %s: ", cp->cp_name, line, path);
	else
		r = snprintf(cp->cp_err + len, cp->cp_errlen - len, "%s:%zu: ",
		    cp->cp_name, line);
	if (r < 0 || (size_t)r >= cp->cp_errlen - len)
		return -1;
	len += (size_t)r;
	va_start(ap, fmt);
	vsnprintf(cp->cp_err + len, cp->cp_errlen - len, fmt, ap);
	va_end(ap);
	return -1;
}

static yaml_node_t *
conf_node(struct conf_parse *cp, int idx)
{
	return yaml_document_get_node(cp->cp_doc, idx);
}

/* An unquoted empty, "~" or "null" scalar: the key is as good as absent. */
static int
conf_is_null(const yaml_node_t *n)
{
	const char	*s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = (const char *)n->data.scalar.value;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* A mapping with scalar keys, which conf_get() can read even with errors. */
static int
conf_readable_map(struct conf_parse *cp, yaml_node_t *map)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;

	if (map->type != YAML_MAPPING_NODE)
		return 0;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++)
		if ((k = conf_node(cp, p->key)) == NULL ||
		    k->type != YAML_SCALAR_NODE)
			return 0;
	return 1;
}

/* Checks a mapping: string keys, each known, none twice. */
static int
conf_map(struct conf_parse *cp, yaml_node_t *map, const char *path,
    const char *const *known)
{
	yaml_node_pair_t	*p, *q;
	yaml_node_t		*k, *k2;
	const char		*key;
	size_t			 i;

	if (map->type != YAML_MAPPING_NODE)
		return conf_error(cp, map, path, "must be a mapping");
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = conf_node(cp, p->key);
		if (k == NULL || k->type != YAML_SCALAR_NODE)
			return conf_error(cp, k, path, "keys must be strings");
		key = (const char *)k->data.scalar.value;
		if (known != NULL) {
			for (i = 0; known[i] != NULL; i++)
				if (strcmp(known[i], key) == 0)
					break;
			if (known[i] == NULL)
				return conf_error(cp, k, path,
				    "unknown key '%s'", key);
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			k2 = conf_node(cp, q->key);
			if (strcmp((const char *)k2->data.scalar.value,
			    key) == 0)
				return conf_error(cp, k, path,
				    "duplicate key '%s'", key);
		}
	}
	return 0;
}

/* The value of a key in a checked mapping, or NULL when absent or null. */
static yaml_node_t *
conf_get(struct conf_parse *cp, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;

	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = conf_node(cp, p->key);
		if (strcmp((const char *)k->data.scalar.value, key) != 0)
			continue;
		v = conf_node(cp, p->value);
		if (v == NULL || conf_is_null(v))
			return NULL;
		return v;
	}
	return NULL;
}

/* A scalar's text, refused when it is not a scalar or holds a NUL byte. */
static const char *
conf_scalar(struct conf_parse *cp, yaml_node_t *n, const char *path,
    const char *what)
{
	const char	*s;

	if (n->type != YAML_SCALAR_NODE) {
		conf_error(cp, n, path, "must be %s", what);
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		conf_error(cp, n, path, "must not contain NUL bytes");
		return NULL;
	}
	return s;
}

static int
conf_strdup(struct conf_parse *cp, yaml_node_t *n, const char *path,
    const char *s, char **out)
{
	if ((*out = strdup(s)) == NULL)
		return conf_error(cp, n, path, "out of memory");
	return 0;
}

/* A non-empty string; replaces *out (which is NULL on entry). */
static int
conf_string(struct conf_parse *cp, yaml_node_t *n, const char *path,
    char **out)
{
	const char	*s;

	if ((s = conf_scalar(cp, n, path, "a string")) == NULL)
		return -1;
	if (*s == '\0')
		return conf_error(cp, n, path, "must not be empty");
	return conf_strdup(cp, n, path, s, out);
}

/* A task type, version or plugin name: it travels in URL paths. */
static int
conf_name(struct conf_parse *cp, yaml_node_t *n, const char *path,
    char **out)
{
	const char	*s;

	if ((s = conf_scalar(cp, n, path, "a string")) == NULL)
		return -1;
	if (*s == '\0' || strchr(s, '/') != NULL)
		return conf_error(cp, n, path,
		    "must be a non-empty string without '/'");
	return conf_strdup(cp, n, path, s, out);
}

static int
conf_bool(struct conf_parse *cp, yaml_node_t *n, const char *path, int *out)
{
	const char	*s;

	if ((s = conf_scalar(cp, n, path, "true or false")) == NULL)
		return -1;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		*out = 0;
	else
		return conf_error(cp, n, path, "must be true or false");
	return 0;
}

static int
conf_int(struct conf_parse *cp, yaml_node_t *n, const char *path,
    long long min, long long max, long long *out)
{
	const char	*s;
	char		*end;
	long long	 v;

	if ((s = conf_scalar(cp, n, path, "an integer")) == NULL)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if ((!isdigit((unsigned char)*s) && *s != '-' && *s != '+') ||
	    end == s || *end != '\0' || errno != 0 || v < min || v > max)
		return conf_error(cp, n, path,
		    "must be an integer from %lld to %lld", min, max);
	*out = v;
	return 0;
}

/* A duration in seconds; zero only when allowed. */
static int
conf_duration(struct conf_parse *cp, yaml_node_t *n, const char *path,
    int zero_ok, double *out)
{
	const char	*s;
	double		 d;

	if ((s = conf_scalar(cp, n, path, "a duration")) == NULL)
		return -1;
	if (config_parse_duration(s, &d) == -1)
		return conf_error(cp, n, path, "must be a duration such as "
		    "5s, 100ms, 2m, 1h or a number of seconds");
	if (d > CONF_MAX_DURATION)
		return conf_error(cp, n, path, "must be at most 366 days");
	if (d == 0 && !zero_ok)
		return conf_error(cp, n, path, "must be greater than 0");
	*out = d;
	return 0;
}

static int
conf_size(struct conf_parse *cp, yaml_node_t *n, const char *path,
    long long min, long long *out)
{
	const char	*s;
	long long	 v;

	if ((s = conf_scalar(cp, n, path, "a size")) == NULL)
		return -1;
	if (config_parse_size(s, &v) == -1)
		return conf_error(cp, n, path, "must be a size such as "
		    "1048576, 64K, 512M or 1G");
	if (v < min)
		return conf_error(cp, n, path, "must be at least %lld bytes",
		    min);
	if ((unsigned long long)v > SIZE_MAX)
		return conf_error(cp, n, path, "is too large");
	*out = v;
	return 0;
}

/* HOST:PORT, with [v6] brackets; the port may be 0 (any free port). */
static int
conf_listen_valid(const char *s)
{
	const char	*colon, *p;
	size_t		 hostlen;
	long		 port = 0;

	if ((colon = strrchr(s, ':')) == NULL)
		return 0;
	hostlen = colon - s;
	if (hostlen == 0)
		return 0;
	if (s[0] == '[') {
		if (hostlen < 3 || s[hostlen - 1] != ']')
			return 0;
	} else if (memchr(s, ':', hostlen) != NULL)
		return 0;
	p = colon + 1;
	if (*p == '\0' || strlen(p) > 5)
		return 0;
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		port = port * 10 + (*p - '0');
	}
	return port <= 65535;
}

static int
conf_listen_add(struct conf_parse *cp, struct config *cf, yaml_node_t *n,
    const char *path)
{
	const char	*s;
	size_t		 i;

	if ((s = conf_scalar(cp, n, path, "HOST:PORT or a list of them"))
	    == NULL)
		return -1;
	if (!conf_listen_valid(s))
		return conf_error(cp, n, path,
		    "'%s' must be HOST:PORT with a port from 0 to 65535", s);
	for (i = 0; i < cf->cf_nlisten; i++)
		if (strcmp(cf->cf_listen[i], s) == 0)
			return conf_error(cp, n, path, "'%s' is listed twice",
			    s);
	if (conf_strdup(cp, n, path, s, &cf->cf_listen[cf->cf_nlisten]) == -1)
		return -1;
	cf->cf_nlisten++;
	return 0;
}

static int
conf_listen(struct conf_parse *cp, struct config *cf, yaml_node_t *n)
{
	yaml_node_item_t	*it;
	size_t			 cnt = 1, i = 0;
	char			 path[CONF_PATH_MAX];

	if (n != NULL && n->type == YAML_SEQUENCE_NODE) {
		cnt = n->data.sequence.items.top - n->data.sequence.items.start;
		if (cnt == 0)
			return conf_error(cp, n, "listen", "must not be empty");
	}
	if ((cf->cf_listen = calloc(cnt + 1, sizeof(char *))) == NULL)
		return conf_error(cp, n, "listen", "out of memory");
	if (n == NULL) {
		if ((cf->cf_listen[0] = strdup(NP_DEFAULT_LISTEN)) == NULL)
			return conf_error(cp, n, "listen", "out of memory");
		cf->cf_nlisten = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return conf_listen_add(cp, cf, n, "listen");
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++, i++) {
		conf_path(path, sizeof(path), "listen[%zu]", i);
		if (conf_listen_add(cp, cf, conf_node(cp, *it), path) == -1)
			return -1;
	}
	return 0;
}

static int
conf_auth(struct conf_parse *cp, struct config *cf, yaml_node_t *n)
{
	yaml_node_t	*v;

	if (conf_map(cp, n, "auth", conf_auth_keys) == -1)
		return -1;
	if ((v = conf_get(cp, n, "tokens_file")) != NULL &&
	    conf_string(cp, v, "auth.tokens_file", &cf->cf_tokens_file) == -1)
		return -1;
	if ((v = conf_get(cp, n, "metrics_public")) != NULL &&
	    conf_bool(cp, v, "auth.metrics_public",
	    &cf->cf_metrics_public) == -1)
		return -1;
	return 0;
}

static int
conf_tls(struct conf_parse *cp, struct config *cf, yaml_node_t *n)
{
	yaml_node_t	*v;

	if (conf_map(cp, n, "tls", conf_tls_keys) == -1)
		return -1;
	if ((v = conf_get(cp, n, "cert_file")) != NULL &&
	    conf_string(cp, v, "tls.cert_file", &cf->cf_tls_cert) == -1)
		return -1;
	if ((v = conf_get(cp, n, "key_file")) != NULL &&
	    conf_string(cp, v, "tls.key_file", &cf->cf_tls_key) == -1)
		return -1;
	if ((v = conf_get(cp, n, "client_ca_file")) != NULL &&
	    conf_string(cp, v, "tls.client_ca_file", &cf->cf_tls_ca) == -1)
		return -1;
	if ((cf->cf_tls_cert == NULL) != (cf->cf_tls_key == NULL))
		return conf_error(cp, n, "tls",
		    "cert_file and key_file must be given together");
	if (cf->cf_tls_ca != NULL && cf->cf_tls_cert == NULL)
		return conf_error(cp, n, "tls",
		    "client_ca_file needs cert_file and key_file");
	return 0;
}

static int
conf_limits(struct conf_parse *cp, struct limits_conf *l, yaml_node_t *n)
{
	yaml_node_t	*v;
	long long	 ll;

	if (conf_map(cp, n, "limits", conf_limits_keys) == -1)
		return -1;
	if ((v = conf_get(cp, n, "max_body_bytes")) != NULL) {
		if (conf_size(cp, v, "limits.max_body_bytes", 1, &ll) == -1)
			return -1;
		l->max_body_bytes = (size_t)ll;
	}
	if ((v = conf_get(cp, n, "max_connections")) != NULL) {
		if (conf_int(cp, v, "limits.max_connections", 1, 1000000,
		    &ll) == -1)
			return -1;
		l->max_connections = (int)ll;
	}
	if ((v = conf_get(cp, n, "header_timeout")) != NULL &&
	    conf_duration(cp, v, "limits.header_timeout", 0,
	    &l->header_timeout) == -1)
		return -1;
	if ((v = conf_get(cp, n, "body_timeout")) != NULL &&
	    conf_duration(cp, v, "limits.body_timeout", 0,
	    &l->body_timeout) == -1)
		return -1;
	if ((v = conf_get(cp, n, "idle_timeout")) != NULL &&
	    conf_duration(cp, v, "limits.idle_timeout", 0,
	    &l->idle_timeout) == -1)
		return -1;
	if ((v = conf_get(cp, n, "max_header_bytes")) != NULL) {
		if (conf_size(cp, v, "limits.max_header_bytes", 1024,
		    &ll) == -1)
			return -1;
		l->max_header_bytes = (size_t)ll;
	}
	if ((v = conf_get(cp, n, "max_line_bytes")) != NULL) {
		if (conf_size(cp, v, "limits.max_line_bytes", 1024, &ll) == -1)
			return -1;
		l->max_line_bytes = (size_t)ll;
	}
	return 0;
}

/* Has an earlier plugin, or this one, already claimed type/version? */
static int
conf_tt_check(struct conf_parse *cp, struct config *cf, yaml_node_t *n,
    const char *path, const char *type, const char *version)
{
	struct plugin_conf	*pc;
	struct task_type_conf	*tt;
	size_t			 i, j, k;

	for (i = 0; i < cf->cf_nplugins; i++) {
		pc = &cf->cf_plugins[i];
		for (j = 0; j < pc->pc_ntask_types; j++) {
			tt = &pc->pc_task_types[j];
			if (tt->tt_type == NULL ||
			    strcmp(tt->tt_type, type) != 0)
				continue;
			for (k = 0; k < tt->tt_nversions; k++) {
				if (strcmp(tt->tt_versions[k], version) != 0)
					continue;
				if (i + 1 == cf->cf_nplugins)
					return conf_error(cp, n, path,
					    "%s/%s is listed twice",
					    type, version);
				return conf_error(cp, n, path, "%s/%s is "
				    "already served by plugin '%s'", type,
				    version, pc->pc_name);
			}
		}
	}
	return 0;
}

/* One {type, versions} entry; tt is zeroed and counted by the caller. */
static int
conf_task_type(struct conf_parse *cp, struct config *cf,
    struct task_type_conf *tt, yaml_node_t *n, const char *path)
{
	yaml_node_t		*v, *vn;
	yaml_node_item_t	*it;
	size_t			 cnt = 1;
	char			 p[CONF_PATH_MAX], *ver = NULL;

	if (conf_map(cp, n, path, conf_tt_keys) == -1)
		return -1;
	conf_path(p, sizeof(p), "%s.type", path);
	if ((v = conf_get(cp, n, "type")) == NULL)
		return conf_error(cp, n, path, "missing key 'type'");
	if (conf_name(cp, v, p, &tt->tt_type) == -1)
		return -1;
	v = conf_get(cp, n, "versions");
	if (v != NULL && v->type == YAML_SEQUENCE_NODE) {
		cnt = v->data.sequence.items.top - v->data.sequence.items.start;
		if (cnt == 0)
			return conf_error(cp, v, path,
			    "versions must not be empty");
	}
	if ((tt->tt_versions = calloc(cnt + 1, sizeof(char *))) == NULL)
		return conf_error(cp, n, path, "out of memory");
	if (v == NULL) {
		if (conf_tt_check(cp, cf, n, path, tt->tt_type, "v1") == -1)
			return -1;
		if ((tt->tt_versions[0] = strdup("v1")) == NULL)
			return conf_error(cp, n, path, "out of memory");
		tt->tt_nversions = 1;
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		conf_path(p, sizeof(p), "%s.versions", path);
		if (conf_name(cp, v, p, &ver) == -1)
			return -1;
		tt->tt_versions[0] = ver;
		tt->tt_nversions = 1;
		return conf_tt_check(cp, cf, v, p, tt->tt_type, ver);
	}
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++) {
		conf_path(p, sizeof(p), "%s.versions[%zu]", path,
		    tt->tt_nversions);
		vn = conf_node(cp, *it);
		if (conf_name(cp, vn, p, &ver) == -1)
			return -1;
		if (conf_tt_check(cp, cf, vn, p, tt->tt_type, ver) == -1) {
			free(ver);
			return -1;
		}
		tt->tt_versions[tt->tt_nversions++] = ver;
		ver = NULL;
	}
	return 0;
}

static int
conf_task_types(struct conf_parse *cp, struct config *cf,
    struct plugin_conf *pc, yaml_node_t *n, const char *path)
{
	yaml_node_item_t	*it;
	size_t			 cnt;
	char			 p[CONF_PATH_MAX];

	if (n->type != YAML_SEQUENCE_NODE)
		return conf_error(cp, n, path,
		    "must be a list of {type, versions}");
	cnt = n->data.sequence.items.top - n->data.sequence.items.start;
	if (cnt == 0)
		return conf_error(cp, n, path, "must not be empty");
	if ((pc->pc_task_types = calloc(cnt, sizeof(*pc->pc_task_types)))
	    == NULL)
		return conf_error(cp, n, path, "out of memory");
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		conf_path(p, sizeof(p), "%s[%zu]", path, pc->pc_ntask_types);
		pc->pc_ntask_types++;
		if (conf_task_type(cp, cf,
		    &pc->pc_task_types[pc->pc_ntask_types - 1],
		    conf_node(cp, *it), p) == -1)
			return -1;
	}
	return 0;
}

/* argv, and argv[0] resolved against the configuration's directory. */
static int
conf_command(struct conf_parse *cp, struct plugin_conf *pc, yaml_node_t *n,
    const char *path)
{
	yaml_node_item_t	*it;
	yaml_node_t		*an;
	const char		*s, *a0;
	size_t			 cnt, dlen;
	char			 p[CONF_PATH_MAX];

	if (n->type != YAML_SEQUENCE_NODE)
		return conf_error(cp, n, path,
		    "must be a list: [PROGRAM, ARG...]");
	cnt = n->data.sequence.items.top - n->data.sequence.items.start;
	if (cnt == 0)
		return conf_error(cp, n, path, "must not be empty");
	if ((pc->pc_argv = calloc(cnt + 1, sizeof(char *))) == NULL)
		return conf_error(cp, n, path, "out of memory");
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		conf_path(p, sizeof(p), "%s[%zu]", path, pc->pc_argc);
		an = conf_node(cp, *it);
		if ((s = conf_scalar(cp, an, p, "a string")) == NULL)
			return -1;
		if (pc->pc_argc == 0 && *s == '\0')
			return conf_error(cp, an, p, "must not be empty");
		if (conf_strdup(cp, an, p, s, &pc->pc_argv[pc->pc_argc]) == -1)
			return -1;
		pc->pc_argc++;
	}
	pc->pc_command_line = n->start_mark.line + 1;
	/* ./x and ../x arguments: from the configuration's directory too. */
	for (cnt = 1; cnt < pc->pc_argc && cp->cp_dir != NULL; cnt++) {
		char	*abs;

		s = pc->pc_argv[cnt];
		if (strncmp(s, "./", 2) != 0 && strncmp(s, "../", 3) != 0)
			continue;
		if (asprintf(&abs, "%s/%s", cp->cp_dir, s[1] == '/' ? s + 2 :
		    s) == -1)
			return conf_error(cp, n, path, "out of memory");
		free(pc->pc_argv[cnt]);
		pc->pc_argv[cnt] = abs;
	}
	a0 = pc->pc_argv[0];
	if (strchr(a0, '/') == NULL || a0[0] == '/' || cp->cp_dir == NULL)
		return conf_strdup(cp, n, path, a0, &pc->pc_path);
	while (a0[0] == '.' && a0[1] == '/')
		for (a0 += 2; *a0 == '/'; a0++)
			;
	dlen = strlen(cp->cp_dir);
	if (dlen > 0 && cp->cp_dir[dlen - 1] == '/')
		dlen--;
	if (asprintf(&pc->pc_path, "%.*s/%s", (int)dlen, cp->cp_dir, a0)
	    == -1) {
		pc->pc_path = NULL;
		return conf_error(cp, n, path, "out of memory");
	}
	return 0;
}

static int
conf_env_name_valid(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* env: {NAME: value} or secrets: {NAME: {file: PATH}}. */
static int
conf_env(struct conf_parse *cp, struct plugin_conf *pc, yaml_node_t *n,
    const char *path, int secrets)
{
	yaml_node_pair_t	*pr;
	yaml_node_t		*k, *v, *f;
	struct env_conf		*e, **list;
	size_t			 cnt, *np, i;
	const char		*name, *s;
	char			 p[CONF_PATH_MAX];

	if (conf_map(cp, n, path, NULL) == -1)
		return -1;
	list = secrets ? &pc->pc_secrets : &pc->pc_env;
	np = secrets ? &pc->pc_nsecrets : &pc->pc_nenv;
	cnt = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
	if (cnt == 0)
		return 0;
	if ((*list = calloc(cnt, sizeof(**list))) == NULL)
		return conf_error(cp, n, path, "out of memory");
	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		k = conf_node(cp, pr->key);
		v = conf_node(cp, pr->value);
		name = (const char *)k->data.scalar.value;
		conf_path(p, sizeof(p), "%s.%s", path, name);
		if (!conf_env_name_valid(name))
			return conf_error(cp, k, p, "must be an environment "
			    "variable name (letters, digits, '_')");
		for (i = 0; secrets && i < pc->pc_nenv; i++)
			if (strcmp(pc->pc_env[i].env_name, name) == 0)
				return conf_error(cp, k, p,
				    "is also set in env");
		e = &(*list)[(*np)++];
		if (conf_strdup(cp, k, p, name, &e->env_name) == -1)
			return -1;
		if (!secrets) {
			if ((s = conf_scalar(cp, v, p, "a string")) == NULL ||
			    conf_strdup(cp, v, p, conf_is_null(v) ? "" : s,
			    &e->env_value) == -1)
				return -1;
			continue;
		}
		if (conf_map(cp, v, p, conf_secret_keys) == -1)
			return -1;
		if ((f = conf_get(cp, v, "file")) == NULL)
			return conf_error(cp, v, p, "missing key 'file'");
		conf_path(p, sizeof(p), "%s.%s.file", path, name);
		if (conf_string(cp, f, p, &e->env_value) == -1)
			return -1;
	}
	return 0;
}

static int
conf_timeouts(struct conf_parse *cp, struct plugin_conf *pc, yaml_node_t *n,
    const char *path)
{
	static const char *const names[] = {
	    "start", "create", "get", "delete", "stop"
	};
	double		*fields[5];
	yaml_node_t	*v;
	size_t		 i;
	char		 p[CONF_PATH_MAX];

	fields[0] = &pc->pc_t_start;
	fields[1] = &pc->pc_t_create;
	fields[2] = &pc->pc_t_get;
	fields[3] = &pc->pc_t_delete;
	fields[4] = &pc->pc_t_stop;
	if (conf_map(cp, n, path, conf_timeout_keys) == -1)
		return -1;
	for (i = 0; i < 5; i++) {
		if ((v = conf_get(cp, n, names[i])) == NULL)
			continue;
		conf_path(p, sizeof(p), "%s.%s", path, names[i]);
		if (conf_duration(cp, v, p, 0, fields[i]) == -1)
			return -1;
	}
	return 0;
}

static int
conf_restart(struct conf_parse *cp, struct plugin_conf *pc, yaml_node_t *n,
    const char *path)
{
	yaml_node_t	*v, *vmax;
	char		 p[CONF_PATH_MAX];

	if (conf_map(cp, n, path, conf_restart_keys) == -1)
		return -1;
	if ((v = conf_get(cp, n, "initial")) != NULL) {
		conf_path(p, sizeof(p), "%s.initial", path);
		if (conf_duration(cp, v, p, 0, &pc->pc_restart_initial) == -1)
			return -1;
	}
	if ((vmax = conf_get(cp, n, "max")) != NULL) {
		conf_path(p, sizeof(p), "%s.max", path);
		if (conf_duration(cp, vmax, p, 0, &pc->pc_restart_max) == -1)
			return -1;
	}
	if (pc->pc_restart_max < pc->pc_restart_initial)
		return conf_error(cp, vmax != NULL ? vmax : n, path,
		    "max must not be less than initial");
	return 0;
}

static int
conf_rlimits(struct conf_parse *cp, struct plugin_conf *pc, yaml_node_t *n,
    const char *path)
{
	yaml_node_t	*v;
	double		 d;
	char		 p[CONF_PATH_MAX];

	if (conf_map(cp, n, path, conf_rlimit_keys) == -1)
		return -1;
	if ((v = conf_get(cp, n, "as")) != NULL) {
		conf_path(p, sizeof(p), "%s.as", path);
		if (conf_size(cp, v, p, 1, &pc->pc_rl_as) == -1)
			return -1;
	}
	if ((v = conf_get(cp, n, "nofile")) != NULL) {
		conf_path(p, sizeof(p), "%s.nofile", path);
		if (conf_int(cp, v, p, 0, CONF_MAX_NOFILE,
		    &pc->pc_rl_nofile) == -1)
			return -1;
	}
	if ((v = conf_get(cp, n, "cpu")) != NULL) {
		conf_path(p, sizeof(p), "%s.cpu", path);
		if (conf_duration(cp, v, p, 0, &d) == -1)
			return -1;
		pc->pc_rl_cpu = (long long)d;
		if (pc->pc_rl_cpu < d)
			pc->pc_rl_cpu++;	/* whole seconds, rounded up */
	}
	return 0;
}

/* rate: {get: 20/s, create: 5/s, delete: 5/s, burst: 10}, pool_op order. */
static int
conf_rate(struct conf_parse *cp, struct plugin_conf *pc, yaml_node_t *n,
    const char *path)
{
	static const char *const ops[] = { "create", "get", "delete" };
	yaml_node_t	*v;
	const char	*s;
	long long	 ll;
	size_t		 i;
	char		 p[CONF_PATH_MAX];

	if (conf_map(cp, n, path, conf_rate_keys) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		if ((v = conf_get(cp, n, ops[i])) == NULL)
			continue;
		conf_path(p, sizeof(p), "%s.%s", path, ops[i]);
		if ((s = conf_scalar(cp, v, p, "a rate")) == NULL)
			return -1;
		if (config_parse_rate(s, &pc->pc_rate[i]) == -1)
			return conf_error(cp, v, p, "must be a rate greater "
			    "than 0 such as 20/s, 100/m or 1000/h");
	}
	if ((v = conf_get(cp, n, "burst")) != NULL) {
		conf_path(p, sizeof(p), "%s.burst", path);
		if (conf_int(cp, v, p, 1, CONF_MAX_QUEUE, &ll) == -1)
			return -1;
		pc->pc_rate_burst = (double)ll;
	}
	return 0;
}

/* log_rate: {lines, bytes} of worker stderr a second; 0 is no limit. */
static int
conf_log_rate(struct conf_parse *cp, struct plugin_conf *pc, yaml_node_t *n,
    const char *path)
{
	yaml_node_t	*v;
	char		 p[CONF_PATH_MAX];

	if (conf_map(cp, n, path, conf_log_rate_keys) == -1)
		return -1;
	if ((v = conf_get(cp, n, "lines")) != NULL) {
		conf_path(p, sizeof(p), "%s.lines", path);
		if (conf_int(cp, v, p, 0, 1000000, &pc->pc_log_lines) == -1)
			return -1;
	}
	if ((v = conf_get(cp, n, "bytes")) != NULL) {
		conf_path(p, sizeof(p), "%s.bytes", path);
		if (conf_size(cp, v, p, 0, &pc->pc_log_bytes) == -1)
			return -1;
	}
	return 0;
}

static void
conf_plugin_defaults(struct plugin_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->pc_instances = 1;
	pc->pc_concurrency = 0;
	pc->pc_queue = 1024;
	pc->pc_t_start = 5;
	pc->pc_t_create = 30;
	pc->pc_t_get = 10;
	pc->pc_t_delete = 10;
	pc->pc_t_stop = 5;
	pc->pc_restart_initial = 0.1;
	pc->pc_restart_max = 30;
	pc->pc_rl_as = RLIMIT_UNSET;
	pc->pc_rl_nofile = RLIMIT_UNSET;
	pc->pc_rl_cpu = RLIMIT_UNSET;
	pc->pc_log_lines = 100;
	pc->pc_log_bytes = 65536;
}

/* An optional non-empty string key of a plugin. */
static int
conf_opt_string(struct conf_parse *cp, yaml_node_t *map, const char *key,
    const char *path, char **out)
{
	yaml_node_t	*v;
	char		 p[CONF_PATH_MAX];

	if ((v = conf_get(cp, map, key)) == NULL)
		return 0;
	conf_path(p, sizeof(p), "%s.%s", path, key);
	return conf_string(cp, v, p, out);
}

/* The caller has counted pc in cf_nplugins, so config_free frees it. */
static int
conf_plugin(struct conf_parse *cp, struct config *cf, struct plugin_conf *pc,
    yaml_node_t *n, const char *path)
{
	yaml_node_t	*v;
	long long	 ll;
	size_t		 i;
	int		 bad = 0;
	char		 p[CONF_PATH_MAX];

	pc->pc_line = n->start_mark.line + 1;
	if (!conf_readable_map(cp, n))
		return conf_map(cp, n, path, conf_plugin_keys);
	if (conf_map(cp, n, path, conf_plugin_keys) == -1)
		bad = -1;
	conf_path(p, sizeof(p), "%s.name", path);
	if ((v = conf_get(cp, n, "name")) == NULL)
		bad = conf_error(cp, n, path, "missing key 'name'");
	else if (conf_name(cp, v, p, &pc->pc_name) == -1)
		bad = -1;
	for (i = 0; pc->pc_name != NULL && i + 1 < cf->cf_nplugins; i++)
		if (cf->cf_plugins[i].pc_name != NULL &&
		    strcmp(cf->cf_plugins[i].pc_name, pc->pc_name) == 0) {
			bad = conf_error(cp, v, p, "plugin '%s' is defined "
			    "twice (first on line %d)", pc->pc_name,
			    cf->cf_plugins[i].pc_line);
			break;
		}
	conf_path(p, sizeof(p), "%s.command", path);
	if ((v = conf_get(cp, n, "command")) == NULL)
		bad = conf_error(cp, n, path, "missing key 'command'");
	else if (conf_command(cp, pc, v, p) == -1)
		bad = -1;
	conf_path(p, sizeof(p), "%s.task_types", path);
	if ((v = conf_get(cp, n, "task_types")) != NULL &&
	    conf_task_types(cp, cf, pc, v, p) == -1)
		bad = -1;
	if ((v = conf_get(cp, n, "instances")) != NULL) {
		conf_path(p, sizeof(p), "%s.instances", path);
		if (conf_int(cp, v, p, 1, CONF_MAX_INSTANCES, &ll) == -1)
			bad = -1;
		else
			pc->pc_instances = (int)ll;
	}
	if ((v = conf_get(cp, n, "concurrency")) != NULL) {
		conf_path(p, sizeof(p), "%s.concurrency", path);
		if (conf_int(cp, v, p, 1, NP_MAX_CONCURRENCY, &ll) == -1)
			bad = -1;
		else
			pc->pc_concurrency = (int)ll;
	}
	if ((v = conf_get(cp, n, "queue")) != NULL) {
		conf_path(p, sizeof(p), "%s.queue", path);
		if (conf_int(cp, v, p, 0, CONF_MAX_QUEUE, &ll) == -1)
			bad = -1;
		else
			pc->pc_queue = (int)ll;
	}
	conf_path(p, sizeof(p), "%s.timeouts", path);
	if ((v = conf_get(cp, n, "timeouts")) != NULL &&
	    conf_timeouts(cp, pc, v, p) == -1)
		bad = -1;
	conf_path(p, sizeof(p), "%s.restart", path);
	if ((v = conf_get(cp, n, "restart")) != NULL &&
	    conf_restart(cp, pc, v, p) == -1)
		bad = -1;
	conf_path(p, sizeof(p), "%s.rate", path);
	if ((v = conf_get(cp, n, "rate")) != NULL &&
	    conf_rate(cp, pc, v, p) == -1)
		bad = -1;
	conf_path(p, sizeof(p), "%s.env", path);
	if ((v = conf_get(cp, n, "env")) != NULL &&
	    conf_env(cp, pc, v, p, 0) == -1)
		bad = -1;
	conf_path(p, sizeof(p), "%s.secrets", path);
	if ((v = conf_get(cp, n, "secrets")) != NULL &&
	    conf_env(cp, pc, v, p, 1) == -1)
		bad = -1;
	conf_path(p, sizeof(p), "%s.rlimits", path);
	if ((v = conf_get(cp, n, "rlimits")) != NULL &&
	    conf_rlimits(cp, pc, v, p) == -1)
		bad = -1;
	conf_path(p, sizeof(p), "%s.log_rate", path);
	if ((v = conf_get(cp, n, "log_rate")) != NULL &&
	    conf_log_rate(cp, pc, v, p) == -1)
		bad = -1;
	if (conf_opt_string(cp, n, "tokens_file", path,
	    &pc->pc_tokens_file) == -1 ||
	    conf_opt_string(cp, n, "user", path, &pc->pc_user) == -1 ||
	    conf_opt_string(cp, n, "group", path, &pc->pc_group) == -1 ||
	    conf_opt_string(cp, n, "workdir", path, &pc->pc_workdir) == -1 ||
	    conf_opt_string(cp, n, "image", path, &pc->pc_image) == -1)
		bad = -1;
	return bad;
}

static int
conf_plugins(struct conf_parse *cp, struct config *cf, yaml_node_t *root,
    yaml_node_t *n)
{
	yaml_node_item_t	*it;
	size_t			 cnt;
	int			 rv = 0;
	char			 path[CONF_PATH_MAX];

	if (n == NULL)
		return conf_error(cp, root, NULL, "missing key 'plugins'");
	if (n->type != YAML_SEQUENCE_NODE)
		return conf_error(cp, n, "plugins", "must be a list");
	cnt = n->data.sequence.items.top - n->data.sequence.items.start;
	if (cnt == 0)
		return conf_error(cp, n, "plugins",
		    "at least one plugin is needed");
	/* A zeroed entry ends the array: see config_free(). */
	if ((cf->cf_plugins = calloc(cnt + 1, sizeof(*cf->cf_plugins)))
	    == NULL)
		return conf_error(cp, n, "plugins", "out of memory");
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		conf_path(path, sizeof(path), "plugins[%zu]", cf->cf_nplugins);
		conf_plugin_defaults(&cf->cf_plugins[cf->cf_nplugins]);
		cf->cf_nplugins++;
		if (conf_plugin(cp, cf, &cf->cf_plugins[cf->cf_nplugins - 1],
		    conf_node(cp, *it), path) == -1)
			rv = -1;	/* and on to the next plugin */
	}
	return rv;
}

static int
conf_root(struct conf_parse *cp, struct config *cf, yaml_node_t *root)
{
	yaml_node_t	*v;
	int		 rv = 0;

	if (!conf_readable_map(cp, root))
		return conf_map(cp, root, NULL, conf_root_keys);
	if (conf_map(cp, root, NULL, conf_root_keys) == -1)
		rv = -1;
	if (conf_listen(cp, cf, conf_get(cp, root, "listen")) == -1)
		rv = -1;
	if ((v = conf_get(cp, root, "auth")) != NULL)
		cf->cf_tokens_line = v->start_mark.line + 1;
	if ((v = conf_get(cp, root, "resource_id_key_file")) != NULL)
		cf->cf_rid_key_line = v->start_mark.line + 1;
	if ((v = conf_get(cp, root, "tls")) != NULL)
		cf->cf_tls_line = v->start_mark.line + 1;
	if ((v = conf_get(cp, root, "auth")) != NULL &&
	    conf_auth(cp, cf, v) == -1)
		rv = -1;
	if ((v = conf_get(cp, root, "resource_id_key_file")) != NULL &&
	    conf_string(cp, v, "resource_id_key_file",
	    &cf->cf_rid_key_file) == -1)
		rv = -1;
	if ((v = conf_get(cp, root, "tls")) != NULL &&
	    conf_tls(cp, cf, v) == -1)
		rv = -1;
	if ((v = conf_get(cp, root, "drain_delay")) != NULL &&
	    conf_duration(cp, v, "drain_delay", 1, &cf->cf_drain_delay) == -1)
		rv = -1;
	if ((v = conf_get(cp, root, "access_log")) != NULL &&
	    conf_bool(cp, v, "access_log", &cf->cf_access_log) == -1)
		rv = -1;
	if ((v = conf_get(cp, root, "front_processes")) != NULL) {
		long long n;

		if (conf_int(cp, v, "front_processes", 1, NP_MAX_FRONTS,
		    &n) == -1)
			rv = -1;
		else
			cf->cf_front_processes = (int)n;
	}
	if ((v = conf_get(cp, root, "limits")) != NULL &&
	    conf_limits(cp, &cf->cf_limits, v) == -1)
		rv = -1;
	if (conf_plugins(cp, cf, root, conf_get(cp, root, "plugins")) == -1)
		rv = -1;
	return rv;
}

static void
conf_yaml_error(struct conf_parse *cp, yaml_parser_t *parser)
{
	const yaml_mark_t	*m = &parser->problem_mark;

	if (parser->error == YAML_MEMORY_ERROR) {
		snprintf(cp->cp_err, cp->cp_errlen, "%s: out of memory",
		    cp->cp_name);
		return;
	}
	if (parser->problem == NULL)
		m = &parser->context_mark;
	if (parser->context != NULL)
		snprintf(cp->cp_err, cp->cp_errlen, "%s:%zu: %s %s",
		    cp->cp_name, m->line + 1, parser->problem != NULL ?
		    parser->problem : "syntax error", parser->context);
	else
		snprintf(cp->cp_err, cp->cp_errlen, "%s:%zu: %s",
		    cp->cp_name, m->line + 1, parser->problem != NULL ?
		    parser->problem : "syntax error");
}

/* Parses text; dir (may be NULL) resolves relative commands. */
static struct config *
conf_parse_text(const char *text, size_t len, const char *name,
    const char *dir, char *err, size_t errlen)
{
	struct conf_parse	 cp;
	struct config		*cf = NULL;
	yaml_parser_t		 parser;
	yaml_document_t		 doc, doc2;
	yaml_node_t		*root, *root2;
	int			 have_parser = 0, have_doc = 0;

	memset(&cp, 0, sizeof(cp));
	cp.cp_doc = &doc;
	cp.cp_name = name != NULL ? name : "configuration";
	cp.cp_dir = dir;
	cp.cp_err = err;
	cp.cp_errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';

	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		conf_error(&cp, NULL, NULL, "out of memory");
		goto fail;
	}
	cf->cf_metrics_public = 1;
	cf->cf_access_log = 1;
	cf->cf_front_processes = 1;
	cf->cf_limits.max_body_bytes = 1048576;
	cf->cf_limits.max_connections = 4096;
	cf->cf_limits.header_timeout = 10;
	cf->cf_limits.body_timeout = 30;
	cf->cf_limits.idle_timeout = 60;
	cf->cf_limits.max_header_bytes = 16384;
	cf->cf_limits.max_line_bytes = NP_DEFAULT_MAX_LINE;
	if (dir != NULL && (cf->cf_dir = strdup(dir)) == NULL) {
		conf_error(&cp, NULL, NULL, "out of memory");
		goto fail;
	}

	if (!yaml_parser_initialize(&parser)) {
		conf_error(&cp, NULL, NULL, "out of memory");
		goto fail;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		conf_yaml_error(&cp, &parser);
		goto fail;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || conf_is_null(root)) {
		conf_error(&cp, NULL, NULL, "the configuration is empty");
		goto fail;
	}
	if (!yaml_parser_load(&parser, &doc2)) {
		conf_yaml_error(&cp, &parser);
		goto fail;
	}
	root2 = yaml_document_get_root_node(&doc2);
	if (root2 != NULL) {
		snprintf(err, errlen, "%s:%zu: only one YAML document is "
		    "allowed", cp.cp_name, doc2.start_mark.line + 1);
		yaml_document_delete(&doc2);
		goto fail;
	}
	yaml_document_delete(&doc2);
	if (conf_root(&cp, cf, root) == -1)
		goto fail;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return cf;

 fail:
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	config_free(cf);
	return NULL;
}

struct config *
config_parse(const char *text, size_t len, const char *name, char *err,
    size_t errlen)
{
	return conf_parse_text(text, len, name, NULL, err, errlen);
}

/* The absolute directory of path, for relative commands. */
static char *
conf_dirname(const char *path)
{
	const char	*slash;
	char		*dir = NULL, *cwd = NULL, *abs = NULL;

	if ((slash = strrchr(path, '/')) == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, slash - path);
	if (dir == NULL || dir[0] == '/')
		return dir;
	if ((cwd = getcwd(NULL, 0)) == NULL)
		goto fail;
	if (strcmp(dir, ".") == 0) {
		free(dir);
		return cwd;
	}
	if (asprintf(&abs, "%s%s%s", cwd,
	    cwd[strlen(cwd) - 1] == '/' ? "" : "/", dir) == -1)
		abs = NULL;
 fail:
	free(cwd);
	free(dir);
	return abs;
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct config	*cf = NULL;
	FILE		*fp = NULL;
	char		*text = NULL, *dir = NULL;
	size_t		 len = 0, n;

	if (errlen > 0)
		err[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((text = malloc(CONF_MAX_FILE + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while ((n = fread(text + len, 1, CONF_MAX_FILE + 1 - len, fp)) > 0)
		if ((len += n) > CONF_MAX_FILE)
			break;
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (len > CONF_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CONF_MAX_FILE);
		goto fail;
	}
	if ((dir = conf_dirname(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((cf = conf_parse_text(text, len, path, dir, err, errlen)) == NULL)
		goto fail;
	if ((cf->cf_path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	free(dir);
	free(text);
	fclose(fp);
	return cf;

 fail:
	config_free(cf);
	free(dir);
	free(text);
	if (fp != NULL)
		fclose(fp);
	return NULL;
}

static void
conf_strv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
conf_env_free(struct env_conf *e, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(e[i].env_name);
		free(e[i].env_value);
	}
	free(e);
}

static void
conf_plugin_free(struct plugin_conf *pc)
{
	size_t	 i;

	free(pc->pc_name);
	conf_strv_free(pc->pc_argv);
	free(pc->pc_path);
	for (i = 0; i < pc->pc_ntask_types; i++) {
		free(pc->pc_task_types[i].tt_type);
		conf_strv_free(pc->pc_task_types[i].tt_versions);
	}
	free(pc->pc_task_types);
	conf_env_free(pc->pc_env, pc->pc_nenv);
	conf_env_free(pc->pc_secrets, pc->pc_nsecrets);
	free(pc->pc_tokens_file);
	free(pc->pc_user);
	free(pc->pc_group);
	free(pc->pc_workdir);
	free(pc->pc_image);
}

void
config_free(struct config *cf)
{
	size_t	 i;

	if (cf == NULL)
		return;
	/*
	 * Past cf_nplugins, up to the zeroed entry that ends the array, are
	 * the plugins a caller dropped by lowering cf_nplugins (main's -p).
	 */
	for (i = 0; cf->cf_plugins != NULL &&
	    (i < cf->cf_nplugins || cf->cf_plugins[i].pc_name != NULL); i++)
		conf_plugin_free(&cf->cf_plugins[i]);
	free(cf->cf_plugins);
	conf_strv_free(cf->cf_listen);
	free(cf->cf_path);
	free(cf->cf_dir);
	free(cf->cf_tokens_file);
	free(cf->cf_rid_key_file);
	free(cf->cf_tls_cert);
	free(cf->cf_tls_key);
	free(cf->cf_tls_ca);
	free(cf);
}

static int
conf_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
conf_strv_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t	 i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!conf_str_equal(a[i], b[i]))
			return 0;
	return 1;
}

static int
conf_env_equal(const struct env_conf *a, size_t na, const struct env_conf *b,
    size_t nb)
{
	size_t	 i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!conf_str_equal(a[i].env_name, b[i].env_name) ||
		    !conf_str_equal(a[i].env_value, b[i].env_value))
			return 0;
	return 1;
}

/*
 * 1 when both would run identically (pc_line, a mere position, aside; and
 * log_rate, which running workers read from the new configuration).
 */
int
config_plugin_equal(const struct plugin_conf *a, const struct plugin_conf *b)
{
	size_t	 i;

	if (a == NULL || b == NULL)
		return a == b;
	if (!conf_str_equal(a->pc_name, b->pc_name) ||
	    !conf_strv_equal(a->pc_argv, a->pc_argc, b->pc_argv, b->pc_argc) ||
	    !conf_str_equal(a->pc_path, b->pc_path) ||
	    a->pc_ntask_types != b->pc_ntask_types ||
	    a->pc_instances != b->pc_instances ||
	    a->pc_concurrency != b->pc_concurrency ||
	    a->pc_queue != b->pc_queue ||
	    a->pc_t_start != b->pc_t_start ||
	    a->pc_t_create != b->pc_t_create ||
	    a->pc_t_get != b->pc_t_get ||
	    a->pc_t_delete != b->pc_t_delete ||
	    a->pc_t_stop != b->pc_t_stop ||
	    a->pc_restart_initial != b->pc_restart_initial ||
	    a->pc_restart_max != b->pc_restart_max ||
	    !conf_env_equal(a->pc_env, a->pc_nenv, b->pc_env, b->pc_nenv) ||
	    !conf_env_equal(a->pc_secrets, a->pc_nsecrets, b->pc_secrets,
	    b->pc_nsecrets) ||
	    !conf_str_equal(a->pc_tokens_file, b->pc_tokens_file) ||
	    !conf_str_equal(a->pc_user, b->pc_user) ||
	    !conf_str_equal(a->pc_group, b->pc_group) ||
	    !conf_str_equal(a->pc_workdir, b->pc_workdir) ||
	    !conf_str_equal(a->pc_image, b->pc_image) ||
	    a->pc_rl_as != b->pc_rl_as ||
	    a->pc_rl_nofile != b->pc_rl_nofile ||
	    a->pc_rl_cpu != b->pc_rl_cpu)
		return 0;
	for (i = 0; i < a->pc_ntask_types; i++)
		if (!conf_str_equal(a->pc_task_types[i].tt_type,
		    b->pc_task_types[i].tt_type) ||
		    !conf_strv_equal(a->pc_task_types[i].tt_versions,
		    a->pc_task_types[i].tt_nversions,
		    b->pc_task_types[i].tt_versions,
		    b->pc_task_types[i].tt_nversions))
			return 0;
	return 1;
}

struct plugin_conf *
config_plugin_find(struct config *cf, const char *name)
{
	size_t	 i;

	if (cf == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cf->cf_nplugins; i++)
		if (strcmp(cf->cf_plugins[i].pc_name, name) == 0)
			return &cf->cf_plugins[i];
	return NULL;
}

/*
 * "5s", "100ms", "2m", "1h", or a plain number of seconds; a fraction is
 * allowed ("1.5s"), a sign is not.
 */
int
config_parse_duration(const char *s, double *out)
{
	char		 num[64];
	const char	*p;
	size_t		 n, digits = 0, dots = 0;
	double		 v;

	for (p = s; isdigit((unsigned char)*p) || *p == '.'; p++) {
		if (*p == '.')
			dots++;
		else
			digits++;
	}
	n = p - s;
	if (digits == 0 || dots > 1 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	v = strtod(num, NULL);
	if (*p == '\0' || strcmp(p, "s") == 0)
		;
	else if (strcmp(p, "ms") == 0)
		v /= 1000.0;
	else if (strcmp(p, "m") == 0)
		v *= 60.0;
	else if (strcmp(p, "h") == 0)
		v *= 3600.0;
	else
		return -1;
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/*
 * Calls per second from "20/s", "100/m" ("/min"), "1000/h" or a bare
 * number (per second); greater than 0.
 */
int
config_parse_rate(const char *s, double *out)
{
	const char	*p;
	char		 num[64];
	size_t		 n, digits = 0, dots = 0;
	double		 v, per;

	for (p = s; isdigit((unsigned char)*p) || *p == '.'; p++) {
		if (*p == '.')
			dots++;
		else
			digits++;
	}
	n = (size_t)(p - s);
	if (digits == 0 || dots > 1 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	v = strtod(num, NULL);
	if (*p == '\0' || strcmp(p, "/s") == 0)
		per = 1;
	else if (strcmp(p, "/m") == 0 || strcmp(p, "/min") == 0)
		per = 60;
	else if (strcmp(p, "/h") == 0)
		per = 3600;
	else
		return -1;
	if (!isfinite(v) || !(v > 0))
		return -1;
	*out = v / per;
	return 0;
}

/* Bytes, or with a binary suffix: "64K", "512M", "1G", "2T" (KiB etc.). */
int
config_parse_size(const char *s, long long *out)
{
	static const char	 units[] = "KMGT";
	const char		*p, *u;
	long long		 v = 0, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (p = s; isdigit((unsigned char)*p); p++) {
		if (v > (LLONG_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p != '\0') {
		if ((u = strchr(units, toupper((unsigned char)*p))) == NULL)
			return -1;
		mult = 1024LL << (10 * (u - units));
		p++;
		if (strcmp(p, "i") == 0 || strcmp(p, "iB") == 0 ||
		    strcmp(p, "B") == 0)
			p += strlen(p);
		if (*p != '\0')
			return -1;
		if (v > LLONG_MAX / mult)
			return -1;
	} else if (p == s)
		return -1;
	*out = v * mult;
	return 0;
}
