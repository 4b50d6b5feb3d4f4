/*
 * Bearer tokens: the daemon-wide tokens file and the per-plugin ones.
 * Tokens are kept only as SHA-256 digests and a presented token is compared
 * against every one of them with CRYPTO_memcmp, so neither its content nor
 * which token matched shows in the time taken; a prefix or an extension of
 * a good token is just another wrong token.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "nebula-plugind.h"

#define AUTH_MAX_TOKENS	4096

struct auth_tokens {
	unsigned char	(*at_digests)[SHA256_DIGEST_LENGTH];
	size_t		  at_n;
};

struct auth {
	struct auth_tokens	 *au_global;	/* NULL: auth is off */
	int			  au_metrics_public;
	char			**au_names;	/* plugins with their own */
	struct auth_tokens	**au_plugin;
	size_t			  au_nplugins;
};

static void
auth_tokens_free(struct auth_tokens *t)
{
	if (t == NULL)
		return;
	OPENSSL_cleanse(t->at_digests, t->at_n * sizeof(*t->at_digests));
	free(t->at_digests);
	free(t);
}

/* One token a line; '#' starts a comment; blank lines are skipped. */
static struct auth_tokens *
auth_tokens_load(const char *path, char *err, size_t errlen)
{
	struct auth_tokens	*t;
	FILE			*fp;
	char			*line = NULL, *p, *end;
	size_t			 cap = 0, lineno = 0;
	void			*grow;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto oom;
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '#' || *p == '\0' || *p == '\n' || *p == '\r')
			continue;
		for (end = p + strlen(p); end > p && (end[-1] == '\n' ||
		    end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		if (t->at_n == AUTH_MAX_TOKENS) {
			snprintf(err, errlen, "%s:%zu: more than %d tokens",
			    path, lineno, AUTH_MAX_TOKENS);
			goto fail;
		}
		grow = reallocarray(t->at_digests, t->at_n + 1,
		    sizeof(*t->at_digests));
		if (grow == NULL)
			goto oom;
		t->at_digests = grow;
		SHA256((unsigned char *)p, (size_t)(end - p),
		    t->at_digests[t->at_n++]);
	}
	if (t->at_n == 0) {
		snprintf(err, errlen, "%s: no token in the file", path);
		goto fail;
	}
	if (line != NULL)
		OPENSSL_cleanse(line, cap);
	free(line);
	fclose(fp);
	return t;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	if (line != NULL)
		OPENSSL_cleanse(line, cap);
	free(line);
	fclose(fp);
	auth_tokens_free(t);
	return NULL;
}

static int
auth_tokens_match(const struct auth_tokens *t, const unsigned char *d)
{
	size_t	 i;
	int	 ok = 0;

	for (i = 0; i < t->at_n; i++)
		ok |= CRYPTO_memcmp(t->at_digests[i], d,
		    SHA256_DIGEST_LENGTH) == 0;
	return ok;
}

/* Loads every tokens file the configuration names; NULL with err. */
struct auth *
auth_new(const struct config *cf, char *err, size_t errlen)
{
	struct auth	*a;
	size_t		 i;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->au_metrics_public = cf->cf_metrics_public;
	if (cf->cf_tokens_file != NULL &&
	    (a->au_global = auth_tokens_load(cf->cf_tokens_file, err,
	    errlen)) == NULL)
		goto fail;
	a->au_names = calloc(cf->cf_nplugins + 1, sizeof(*a->au_names));
	a->au_plugin = calloc(cf->cf_nplugins + 1, sizeof(*a->au_plugin));
	if (a->au_names == NULL || a->au_plugin == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < cf->cf_nplugins; i++) {
		const struct plugin_conf *pc = &cf->cf_plugins[i];

		if (pc->pc_tokens_file == NULL)
			continue;
		if (a->au_global == NULL) {
			snprintf(err, errlen, "plugin %s has a tokens_file but "
			    "auth.tokens_file is not set", pc->pc_name);
			goto fail;
		}
		if ((a->au_plugin[a->au_nplugins] = auth_tokens_load(
		    pc->pc_tokens_file, err, errlen)) == NULL)
			goto fail;
		if ((a->au_names[a->au_nplugins++] = strdup(pc->pc_name)) ==
		    NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	return a;
fail:
	auth_free(a);
	return NULL;
}

void
auth_free(struct auth *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	auth_tokens_free(a->au_global);
	for (i = 0; i < a->au_nplugins; i++) {
		auth_tokens_free(a->au_plugin[i]);
		free(a->au_names[i]);
	}
	free(a->au_plugin);
	free(a->au_names);
	free(a);
}

int
auth_enabled(const struct auth *a)
{
	return a != NULL && a->au_global != NULL;
}

int
auth_metrics_public(const struct auth *a)
{
	return a == NULL || a->au_metrics_public;
}

/* The digest of "Bearer <token>"'s token; -1 when there is none. */
static int
auth_digest(const char *header, unsigned char d[SHA256_DIGEST_LENGTH])
{
	const char	*p;
	size_t		 len;

	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return -1;
	for (p = header + 7; *p == ' '; p++)
		;
	len = strlen(p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0)
		return -1;
	SHA256((const unsigned char *)p, len, d);
	return 0;
}

/* AUTH_OK, or AUTH_MISSING / AUTH_WRONG (401), AUTH_FORBIDDEN (403). */
enum auth_result
auth_check(const struct auth *a, const char *header, const char *plugin)
{
	unsigned char	 d[SHA256_DIGEST_LENGTH];
	size_t		 i;

	if (!auth_enabled(a))
		return AUTH_OK;
	if (auth_digest(header, d) == -1)
		return AUTH_MISSING;
	if (!auth_tokens_match(a->au_global, d))
		return AUTH_WRONG;
	if (plugin == NULL)
		return AUTH_OK;
	for (i = 0; i < a->au_nplugins; i++)
		if (strcmp(a->au_names[i], plugin) == 0)
			return auth_tokens_match(a->au_plugin[i], d) ?
			    AUTH_OK : AUTH_FORBIDDEN;
	return AUTH_OK;
}
