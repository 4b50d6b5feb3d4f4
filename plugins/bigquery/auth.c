/*
 * BigQuery credentials: an OAuth2 access token from a file that is re-read
 * when it changes (BQ_TOKEN_FILE), or a service account key file
 * (BQ_CREDENTIALS_FILE, else GOOGLE_APPLICATION_CREDENTIALS) exchanged for
 * a token with a JWT signed RS256, cached until shortly before it expires,
 * or a fixed token in BQ_TOKEN.  Callers wait in a queue while a token is
 * being fetched, so one exchange serves every request that needs it.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "nebula-svc.h"
#include "bigquery.h"

#define AUTH_SCOPE	"https://www.googleapis.com/auth/bigquery"
#define AUTH_GRANT	"urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
#define AUTH_LIFETIME	3600
#define AUTH_TIMEOUT	30000

struct auth_waiter {
	STAILQ_ENTRY(auth_waiter)	 aw_entry;
	auth_cb				*aw_cb;
	void				*aw_arg;
};

static struct {
	struct tok_file		*as_file;	/* BQ_TOKEN_FILE */
	char			*as_static;	/* BQ_TOKEN */
	char			*as_email;	/* service account */
	char			*as_token_uri;
	EVP_PKEY		*as_key;
	char			*as_token;	/* cached access token */
	int64_t			 as_refresh_at;	/* nw_now() ms */
	int			 as_fetching;
	STAILQ_HEAD(, auth_waiter) as_waiters;
} auth = { .as_waiters = STAILQ_HEAD_INITIALIZER(auth.as_waiters) };

static int
auth_load_key(const char *path, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*j;
	const char	*email, *pem, *uri;
	BIO		*bio = NULL;
	int		 rv = -1;

	if ((j = json_load_file(path, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "credentials file %s: %s", path,
		    jerr.text);
		return -1;
	}
	email = json_string_value(json_object_get(j, "client_email"));
	pem = json_string_value(json_object_get(j, "private_key"));
	uri = json_string_value(json_object_get(j, "token_uri"));
	if (email == NULL || pem == NULL) {
		snprintf(err, errlen, "credentials file %s: not a service "
		    "account key (client_email and private_key needed)", path);
		goto fail;
	}
	if (uri == NULL)
		uri = "https://oauth2.googleapis.com/token";
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (auth.as_key = PEM_read_bio_PrivateKey(bio, NULL, NULL,
	    NULL)) == NULL) {
		snprintf(err, errlen, "credentials file %s: private_key is "
		    "not a PEM private key", path);
		goto fail;
	}
	if ((auth.as_email = strdup(email)) == NULL ||
	    (auth.as_token_uri = strdup(uri)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rv = 0;
fail:
	BIO_free(bio);
	json_decref(j);
	return rv;
}

/* Reads the environment; 0, or -1 with the reason in err. */
int
auth_init(char *err, size_t errlen)
{
	const char	*s;

	if ((s = getenv("BQ_TOKEN_FILE")) != NULL && *s != '\0') {
		if ((auth.as_file = tok_file_new(s)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (((s = getenv("BQ_CREDENTIALS_FILE")) != NULL && *s != '\0') ||
	    ((s = getenv("GOOGLE_APPLICATION_CREDENTIALS")) != NULL &&
	    *s != '\0'))
		return auth_load_key(s, err, errlen);
	if ((s = getenv("BQ_TOKEN")) != NULL && *s != '\0') {
		if ((auth.as_static = strdup(s)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		auth.as_static[strcspn(auth.as_static, "\r\n")] = '\0';
		return 0;
	}
	snprintf(err, errlen, "no credentials: set BQ_TOKEN_FILE, "
	    "BQ_CREDENTIALS_FILE or BQ_TOKEN");
	return -1;
}

void
auth_cleanup(void)
{
	struct auth_waiter	*w;

	while ((w = STAILQ_FIRST(&auth.as_waiters)) != NULL) {
		STAILQ_REMOVE_HEAD(&auth.as_waiters, aw_entry);
		free(w);
	}
	tok_file_free(auth.as_file);
	free(auth.as_static);
	free(auth.as_email);
	free(auth.as_token_uri);
	free(auth.as_token);
	EVP_PKEY_free(auth.as_key);
	memset(&auth, 0, sizeof(auth));
	STAILQ_INIT(&auth.as_waiters);
}

/* base64url without padding of len bytes; free() the result. */
static char *
auth_b64url(const unsigned char *data, size_t len)
{
	char	*out, *p;
	int	 n;

	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	out[n] = '\0';
	for (p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=') {
			*p = '\0';
			break;
		}
	}
	return out;
}

/* The signed assertion for the token endpoint; free() the result. */
static char *
auth_jwt(void)
{
	EVP_MD_CTX	*ctx = NULL;
	json_t		*claims = NULL;
	unsigned char	*sig = NULL;
	char		*hdr = NULL, *body = NULL, *cj = NULL, *s = NULL;
	char		*sig64 = NULL, *jwt = NULL;
	const char	*h = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	size_t		 siglen = 0, len;
	time_t		 now = time(NULL);

	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", auth.as_email,
	    "scope", AUTH_SCOPE, "aud", auth.as_token_uri,
	    "iat", (json_int_t)now, "exp", (json_int_t)now + AUTH_LIFETIME);
	if (claims == NULL ||
	    (cj = json_dumps(claims, JSON_COMPACT)) == NULL ||
	    (hdr = auth_b64url((const unsigned char *)h, strlen(h))) == NULL ||
	    (body = auth_b64url((unsigned char *)cj, strlen(cj))) == NULL)
		goto fail;
	len = strlen(hdr) + 1 + strlen(body);
	if ((s = malloc(len + 1)) == NULL)
		goto fail;
	snprintf(s, len + 1, "%s.%s", hdr, body);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    auth.as_key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)s,
	    len) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)s, len) != 1 ||
	    (sig64 = auth_b64url(sig, siglen)) == NULL)
		goto fail;
	if ((jwt = malloc(len + 1 + strlen(sig64) + 1)) == NULL)
		goto fail;
	snprintf(jwt, len + 1 + strlen(sig64) + 1, "%s.%s", s, sig64);
fail:
	EVP_MD_CTX_free(ctx);
	json_decref(claims);
	free(sig);
	free(hdr);
	free(body);
	free(cj);
	free(s);
	free(sig64);
	return jwt;
}

/* Answers every waiter; token or (code, err). */
static void
auth_wake(const char *token, const char *code, const char *err)
{
	struct auth_waiter	*w;
	STAILQ_HEAD(, auth_waiter) q = STAILQ_HEAD_INITIALIZER(q);

	/* Waiters may queue again from their callback: take the list. */
	while ((w = STAILQ_FIRST(&auth.as_waiters)) != NULL) {
		STAILQ_REMOVE_HEAD(&auth.as_waiters, aw_entry);
		STAILQ_INSERT_TAIL(&q, w, aw_entry);
	}
	while ((w = STAILQ_FIRST(&q)) != NULL) {
		STAILQ_REMOVE_HEAD(&q, aw_entry);
		w->aw_cb(token, code, err, w->aw_arg);
		free(w);
	}
}

static void
auth_fetched(const struct hc_resp *r, void *arg)
{
	const char	*tok, *msg;
	json_t		*exp;
	int64_t		 life;
	char		 err[512];

	(void)arg;
	auth.as_fetching = 0;
	tok = json_string_value(json_object_get(r->hr_json, "access_token"));
	if (r->hr_status == 200 && tok != NULL) {
		exp = json_object_get(r->hr_json, "expires_in");
		life = json_is_integer(exp) ? json_integer_value(exp) :
		    AUTH_LIFETIME;
		if (life < 1)
			life = 1;
		free(auth.as_token);
		if ((auth.as_token = strdup(tok)) == NULL) {
			auth_wake(NULL, "INTERNAL", "out of memory");
			return;
		}
		/* Refresh a minute early, or halfway for short lives. */
		life = life > 120 ? life - 60 : life / 2;
		auth.as_refresh_at = nw_now() + life * 1000;
		auth_wake(auth.as_token, NULL, NULL);
		return;
	}
	if (r->hr_status == 0)
		snprintf(err, sizeof(err), "token endpoint %s: %s",
		    auth.as_token_uri, r->hr_error ? r->hr_error : "no answer");
	else {
		msg = json_string_value(json_object_get(r->hr_json,
		    "error_description"));
		if (msg == NULL)
			msg = json_string_value(json_object_get(r->hr_json,
			    "error"));
		snprintf(err, sizeof(err), "token endpoint %s answered %ld: %s",
		    auth.as_token_uri, r->hr_status, msg ? msg : r->hr_body);
	}
	auth_wake(NULL, hc_retryable(r->hr_status) ? "UNAVAILABLE" :
	    "PERMISSION_DENIED", err);
}

/*
 * Calls cb with a token, now or once one has been fetched; or with an
 * error code and message.  Returns -1 only when out of memory.
 */
int
auth_get(auth_cb *cb, void *arg)
{
	struct auth_waiter	*w;
	struct hc_req		 q;
	const char		*tok;
	char			*jwt, *body, err[512];
	size_t			 len;

	if (auth.as_file != NULL) {
		if ((tok = tok_file_get(auth.as_file, err, sizeof(err))) ==
		    NULL)
			cb(NULL, "PERMISSION_DENIED", err, arg);
		else
			cb(tok, NULL, NULL, arg);
		return 0;
	}
	if (auth.as_static != NULL) {
		cb(auth.as_static, NULL, NULL, arg);
		return 0;
	}
	if (auth.as_token != NULL && nw_now() < auth.as_refresh_at) {
		cb(auth.as_token, NULL, NULL, arg);
		return 0;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->aw_cb = cb;
	w->aw_arg = arg;
	STAILQ_INSERT_TAIL(&auth.as_waiters, w, aw_entry);
	if (auth.as_fetching)
		return 0;
	if ((jwt = auth_jwt()) == NULL) {
		auth_wake(NULL, "INTERNAL", "cannot sign the token request");
		return 0;
	}
	len = sizeof("grant_type=" AUTH_GRANT "&assertion=") + strlen(jwt);
	if ((body = malloc(len)) == NULL) {
		free(jwt);
		auth_wake(NULL, "INTERNAL", "out of memory");
		return 0;
	}
	snprintf(body, len, "grant_type=%s&assertion=%s", AUTH_GRANT, jwt);
	memset(&q, 0, sizeof(q));
	q.hq_method = "POST";
	q.hq_url = auth.as_token_uri;
	q.hq_ctype = "application/x-www-form-urlencoded";
	q.hq_body = body;
	q.hq_timeout = AUTH_TIMEOUT;
	q.hq_cb = auth_fetched;
	auth.as_fetching = 1;
	if (hc_start(&q) == -1) {
		auth.as_fetching = 0;
		auth_wake(NULL, "INTERNAL", "cannot start the token request");
	}
	free(jwt);
	free(body);
	return 0;
}

/* The service refused a token: fetch a new one next time. */
void
auth_invalidate(void)
{
	auth.as_refresh_at = 0;
}
