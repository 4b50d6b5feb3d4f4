/*
 * TLS on the listener with OpenSSL's libssl: the server context built from
 * the configuration (certificate, key, and with client_ca_file mutual TLS),
 * swapped on reload, and the non-blocking reads and writes of http.c's and
 * h2.c's connections, cleartext or TLS, that turn OpenSSL's WANT_READ /
 * WANT_WRITE into EAGAIN plus the direction to wait on.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "nebula-plugind.h"

static SSL_CTX	*tls_current;
static int	 tls_h2;		/* offer h2 by ALPN */

static void
tls_error(char *err, size_t errlen, const char *what, const char *file)
{
	char	 ossl[256] = "";
	unsigned long e;

	if ((e = ERR_get_error()) != 0)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	ERR_clear_error();
	snprintf(err, errlen, "tls: %s %s: %s", what, file ? file : "",
	    ossl[0] ? ossl : "failed");
}

/*
 * ALPN, when an HTTP/2 handler is set: the HTTP/2 front serves gRPC only,
 * so a client that can speak http/1.1 (curl, browsers, our client) gets
 * it, and h2 goes to those that offer nothing else (gRPC clients offer h2
 * alone, or with grpc-exp).
 */
static int
tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char	 h1[] = "\x08http/1.1";
	static const unsigned char	 h2[] = "\x02h2";
	unsigned char			*sel;
	unsigned char			 sellen;

	(void)ssl;
	(void)arg;
	if (!tls_h2)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_select_next_proto(&sel, &sellen, h1, sizeof(h1) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED &&
	    SSL_select_next_proto(&sel, &sellen, h2, sizeof(h2) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	*outlen = sellen;
	return SSL_TLSEXT_ERR_OK;
}

/*
 * A server context for the configuration's tls block; NULL with err[0] ==
 * '\0' when TLS is not configured, NULL with a reason on error.
 */
void *
tls_ctx_new(const struct config *cf, char *err, size_t errlen)
{
	SSL_CTX	*ctx;

	err[0] = '\0';
	if (cf->cf_tls_cert == NULL)
		return NULL;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_error(err, errlen, "cannot make a context", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->cf_tls_cert) != 1) {
		tls_error(err, errlen, "cannot load certificate", cf->cf_tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cf->cf_tls_key,
	    SSL_FILETYPE_PEM) != 1) {
		tls_error(err, errlen, "cannot load key", cf->cf_tls_key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_error(err, errlen, "key does not match certificate",
		    cf->cf_tls_key);
		goto fail;
	}
	if (cf->cf_tls_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, cf->cf_tls_ca, NULL) !=
		    1) {
			tls_error(err, errlen, "cannot load client CA",
			    cf->cf_tls_ca);
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void
tls_ctx_free(void *ctx)
{
	SSL_CTX_free(ctx);
}

/* Makes ctx (taken; NULL: plain HTTP) the context of new connections. */
void
tls_ctx_set(void *ctx)
{
	/* Connections still using the old one hold their own reference. */
	SSL_CTX_free(tls_current);
	tls_current = ctx;
}

int
tls_enabled(void)
{
	return tls_current != NULL;
}

/* A server-side TLS session on an accepted socket, or NULL. */
void *
tls_conn_new(int fd)
{
	SSL	*ssl;

	if (tls_current == NULL || (ssl = SSL_new(tls_current)) == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return ssl;
}

void
tls_conn_free(void *ssl)
{
	if (ssl == NULL)
		return;
	SSL_free(ssl);
}

/* Maps an OpenSSL result onto read/write semantics; *want is EV_READ/WRITE. */
static ssize_t
tls_result(SSL *ssl, int n, int *want)
{
	int	 e = SSL_get_error(ssl, n);

	*want = 0;
	switch (e) {
	case SSL_ERROR_NONE:
		return n;
	case SSL_ERROR_WANT_READ:
		*want = EV_READ;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = EV_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0 || n == 0)
			return 0;	/* EOF without close_notify */
		return -1;
	default:
		{
			char	 buf[256];

			ERR_error_string_n(ERR_peek_error(), buf, sizeof(buf));
			log_debug("tls: %s", buf);
		}
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

/*
 * One non-blocking read of a connection, for http.c and h2.c alike: recv(2)
 * in cleartext (ssl NULL), SSL_read else.  -1 with errno EAGAIN and
 * *wait_write set when TLS must write before it can read on.
 */
ssize_t
tls_read(int fd, void *ssl, void *buf, size_t len, int *wait_write)
{
	ssize_t	 n;
	int	 want;

	*wait_write = 0;
	if (ssl == NULL)
		return recv(fd, buf, len, 0);
	ERR_clear_error();
	errno = 0;
	n = tls_result(ssl, SSL_read(ssl, buf, len > INT32_MAX ? INT32_MAX :
	    (int)len), &want);
	*wait_write = n == -1 && want == EV_WRITE;
	return n;
}

/* One write, as tls_read: *wait_read when TLS must read first. */
ssize_t
tls_write(int fd, void *ssl, const void *buf, size_t len, int *wait_read)
{
	ssize_t	 n;
	int	 want;

	*wait_read = 0;
	if (ssl == NULL)
		return send(fd, buf, len, MSG_NOSIGNAL);
	ERR_clear_error();
	errno = 0;
	n = tls_result(ssl, SSL_write(ssl, buf, len > INT32_MAX ? INT32_MAX :
	    (int)len), &want);
	*wait_read = n == -1 && want == EV_READ;
	return n;
}

int
tls_pending(void *ssl)
{
	return SSL_pending(ssl);
}

/* New handshakes offer h2 by ALPN (1) or no ALPN at all (0). */
void
tls_set_h2(int on)
{
	tls_h2 = on;
}

/*
 * The protocol ALPN chose once the handshake is over, or NULL (none, or
 * not yet); valid until the next call.
 */
const char *
tls_alpn(void *ssl)
{
	static char		 proto[256];
	const unsigned char	*p;
	unsigned int		 len;

	if (ssl == NULL || !SSL_is_init_finished((SSL *)ssl))
		return NULL;
	SSL_get0_alpn_selected(ssl, &p, &len);
	if (p == NULL || len == 0 || len >= sizeof(proto))
		return NULL;
	memcpy(proto, p, len);
	proto[len] = '\0';
	return proto;
}
