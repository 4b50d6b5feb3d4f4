/*
 * A quiet stand-in for supervisor/log.c, for the HTTP fuzz target: every
 * message is still formatted (so that a bad argument shows up under the
 * sanitizers) but nothing is written.  A warning that http_respond() was
 * called for a request not waiting for an answer is a router bug, and
 * fatalx() has no place on the request path: both abort.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-plugind.h"
#include "fake.h"

static size_t	 fake_access;

static void
fake_format(const char *fmt, va_list ap)
{
	char	 line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (strncmp(line, "http_respond:", 13) == 0) {
		fprintf(stderr, "fuzz: %s\n", line);
		abort();
	}
}

void
log_init(int level)
{
	(void)level;
}

void
log_set_access(int on)
{
	(void)on;
}

void
log_emit(int level, const char *plugin, pid_t pid, const char *reqid,
    const char *fmt, ...)
{
	va_list	 ap;

	(void)level;
	(void)plugin;
	(void)pid;
	(void)reqid;
	va_start(ap, fmt);
	fake_format(fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fake_format(fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fake_format(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fake_format(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fake_format(fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void
log_access(const char *method, const char *path, const char *reqid,
    int status, size_t len, double secs)
{
	char	 line[1024];

	snprintf(line, sizeof(line), "%s %s %s %d %zu %.3f", method, path,
	    reqid, status, len, secs);
	fake_access++;
}

void
log_access_full(const struct log_access *la)
{
	log_access(la->la_method, la->la_path, la->la_reqid, la->la_status,
	    la->la_bytes, la->la_seconds);
}

size_t
fake_log_access_count(void)
{
	return fake_access;
}
