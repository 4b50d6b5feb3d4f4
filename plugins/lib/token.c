/*
 * Secret files that rotate (a bearer token mounted from a Kubernetes
 * Secret, written by a sidecar, ...): the file is stat(2)ed on every use
 * and read again whenever its inode, size or modification time changed, so
 * a new token is used from the next call on without a restart.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-svc.h"

#define TOK_MAX		65536

struct tok_file {
	char		*tf_path;
	char		*tf_token;
	dev_t		 tf_dev;
	ino_t		 tf_ino;
	off_t		 tf_size;
	struct timespec	 tf_mtime;
};

struct tok_file *
tok_file_new(const char *path)
{
	struct tok_file	*tf;

	if ((tf = calloc(1, sizeof(*tf))) == NULL)
		return NULL;
	if ((tf->tf_path = strdup(path)) == NULL) {
		free(tf);
		return NULL;
	}
	return tf;
}

void
tok_file_free(struct tok_file *tf)
{
	if (tf == NULL)
		return;
	free(tf->tf_path);
	free(tf->tf_token);
	free(tf);
}

static int
tok_file_changed(const struct tok_file *tf, const struct stat *st)
{
	return tf->tf_token == NULL || st->st_dev != tf->tf_dev ||
	    st->st_ino != tf->tf_ino || st->st_size != tf->tf_size ||
	    st->st_mtim.tv_sec != tf->tf_mtime.tv_sec ||
	    st->st_mtim.tv_nsec != tf->tf_mtime.tv_nsec;
}

/*
 * The token (the file's first line, blanks trimmed), read again when the
 * file changed; NULL with the reason in err.  Borrowed until the next call.
 */
const char *
tok_file_get(struct tok_file *tf, char *err, size_t errlen)
{
	struct stat	 st;
	FILE		*fp = NULL;
	char		*buf = NULL, *s, *e;
	size_t		 n;

	if (stat(tf->tf_path, &st) == -1) {
		snprintf(err, errlen, "token file %s: %s", tf->tf_path,
		    strerror(errno));
		return NULL;
	}
	if (!tok_file_changed(tf, &st))
		return tf->tf_token;
	if ((fp = fopen(tf->tf_path, "r")) == NULL) {
		snprintf(err, errlen, "token file %s: %s", tf->tf_path,
		    strerror(errno));
		goto fail;
	}
	if ((buf = malloc(TOK_MAX + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	n = fread(buf, 1, TOK_MAX, fp);
	buf[n] = '\0';
	for (s = buf; *s != '\0' && isspace((unsigned char)*s); s++)
		;
	for (e = s; *e != '\0' && *e != '\n' && *e != '\r'; e++)
		;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = '\0';
	if (*s == '\0') {
		snprintf(err, errlen, "token file %s is empty", tf->tf_path);
		goto fail;
	}
	free(tf->tf_token);
	if ((tf->tf_token = strdup(s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	tf->tf_dev = st.st_dev;
	tf->tf_ino = st.st_ino;
	tf->tf_size = st.st_size;
	tf->tf_mtime = st.st_mtim;
	fclose(fp);
	free(buf);
	return tf->tf_token;
fail:
	if (fp != NULL)
		fclose(fp);
	free(buf);
	return NULL;
}
