/*
 * Logging: one line per event on stderr in logfmt (key=value), with the
 * time, the level, and where one applies the plugin, the worker's pid and
 * the request id.  Values that need it are quoted and escaped so that a
 * worker's stderr can never forge a log line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nebula-plugind.h"

static int	 log_level = LOG_LEVEL_INFO;
static int	 log_access_on = 1;
static const char *const log_names[] = { "error", "warn", "info", "debug" };

/*
 * stderr is fully buffered and flushed once per loop iteration (see
 * log_flush), so a busy daemon writes its log in one syscall per
 * iteration, not one per line.
 */
void
log_init(int level)
{
	static char	 buf[65536];

	log_level = level;
	setvbuf(stderr, buf, _IOFBF, sizeof(buf));
}

void
log_flush(void)
{
	fflush(stderr);
}

void
log_set_access(int on)
{
	log_access_on = on;
}

/* Appends key=value, quoting the value when it holds space, '"' or '='. */
static void
log_kv(struct buf *b, const char *key, const char *val)
{
	const unsigned char	*p;
	int			 quote = 0;

	for (p = (const unsigned char *)val; *p != '\0'; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p >= 0x7f) {
			quote = 1;
			break;
		}
	if (*val == '\0')
		quote = 1;
	buf_puts(b, " ");
	buf_puts(b, key);
	buf_puts(b, "=");
	if (!quote) {
		buf_append(b, val, strlen(val));
		return;
	}
	buf_append(b, "\"", 1);
	for (p = (const unsigned char *)val; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_append(b, "\\n", 2);
		else if (*p == '\t')
			buf_append(b, "\\t", 2);
		else if (*p < ' ' || *p == 0x7f)
			buf_printf(b, "\\x%02x", *p);
		else
			buf_append(b, p, 1);
	}
	buf_append(b, "\"", 1);
}

/* The time as logged, formatted once a second. */
static const char *
log_time(void)
{
	static char	 when[64];
	static time_t	 when_sec = -1;
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 n;
	long		 ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != when_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when) - 6, "%Y-%m-%dT%H:%M:%S", &tm);
		when_sec = ts.tv_sec;
	}
	n = strlen(when);
	if (n > 19)
		n = 19;
	ms = ts.tv_nsec / 1000000;
	when[n] = '.';
	when[n + 1] = (char)('0' + ms / 100 % 10);
	when[n + 2] = (char)('0' + ms / 10 % 10);
	when[n + 3] = (char)('0' + ms % 10);
	when[n + 4] = 'Z';
	when[n + 5] = '\0';
	return when;
}

static void
log_line(int level, const char *plugin, pid_t pid, const char *reqid,
    const char *extra, const char *msg)
{
	static struct buf	 b;	/* reused: no allocation per line */

	buf_reset(&b);
	buf_puts(&b, "time=");
	buf_puts(&b, log_time());
	buf_puts(&b, " level=");
	buf_puts(&b, log_names[level]);
	if (plugin != NULL)
		log_kv(&b, "plugin", plugin);
	if (pid > 0) {
		buf_puts(&b, " pid=");
		buf_put_uint(&b, (unsigned long long)pid, 0);
	}
	if (reqid != NULL)
		log_kv(&b, "request_id", reqid);
	if (extra != NULL) {
		buf_puts(&b, " ");
		buf_puts(&b, extra);
	}
	log_kv(&b, "msg", msg);
	buf_append(&b, "\n", 1);
	if (b.buf_data != NULL)
		fwrite(b.buf_data + b.buf_off, 1, buf_pending(&b), stderr);
}

static void
log_vemit(int level, const char *plugin, pid_t pid, const char *reqid,
    const char *fmt, va_list ap)
{
	char	 msg[4096];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_line(level, plugin, pid, reqid, NULL, msg);
}

void
log_emit(int level, const char *plugin, pid_t pid, const char *reqid,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(level, plugin, pid, reqid, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	char	 msg[4096];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_emit(LOG_LEVEL_WARN, NULL, 0, NULL, "%s: %s", msg,
	    strerror(saved));
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_WARN, NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_INFO, NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_DEBUG, NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit(LOG_LEVEL_ERROR, NULL, 0, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * One line per answered request, unless turned off by access_log: false:
 * method, path, status, bytes, duration, and the client's address, user
 * agent and the plugin where known.
 */
void
log_access_full(const struct log_access *la)
{
	static struct buf	 b;	/* reused: no allocation per request */
	unsigned long long	 us;
	char			 frac[4];

	if (!log_access_on || log_level < LOG_LEVEL_INFO)
		return;
	buf_reset(&b);
	buf_puts(&b, "method=");
	buf_puts(&b, la->la_method);
	log_kv(&b, "path", la->la_path);
	/* Numbers written by hand: printf costs more than the request. */
	buf_puts(&b, " status=");
	buf_put_uint(&b, (unsigned)la->la_status, 0);
	buf_puts(&b, " bytes=");
	buf_put_uint(&b, la->la_bytes, 0);
	us = la->la_seconds > 0 ? (unsigned long long)(la->la_seconds * 1e6 +
	    0.5) : 0;
	buf_puts(&b, " duration_ms=");
	buf_put_uint(&b, us / 1000, 0);
	frac[0] = '.';
	frac[1] = (char)('0' + us / 100 % 10);
	frac[2] = (char)('0' + us / 10 % 10);
	frac[3] = (char)('0' + us % 10);
	buf_append(&b, frac, 4);
	if (la->la_addr != NULL)
		log_kv(&b, "client", la->la_addr);
	if (la->la_agent != NULL)
		log_kv(&b, "user_agent", la->la_agent);
	buf_append(&b, "", 1);
	if (b.buf_data != NULL)
		log_line(LOG_LEVEL_INFO, la->la_plugin, 0, la->la_reqid,
		    b.buf_data + b.buf_off, "access");
}

/* The same, with what every answer has (gRPC calls). */
void
log_access(const char *method, const char *path, const char *reqid,
    int status, size_t bytes, double seconds)
{
	struct log_access	 la;

	memset(&la, 0, sizeof(la));
	la.la_method = method;
	la.la_path = path;
	la.la_reqid = reqid;
	la.la_status = status;
	la.la_bytes = bytes;
	la.la_seconds = seconds;
	log_access_full(&la);
}
