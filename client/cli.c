/*
 * What every command of nebula-plugin says and reads the same way: its
 * errors on stderr, a JSON object from a file or stdin, JSON and a job's
 * outcome on stdout, and the flag SIGINT and SIGTERM set.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client.h"

volatile sig_atomic_t	 cli_stop;

void
cli_err(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", NPC_PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Reads a JSON object from path, or stdin for "-"; NULL after an error. */
json_t *
cli_read_json(const char *path)
{
	json_error_t	 jerr;
	json_t		*v;

	if (strcmp(path, "-") == 0)
		v = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		v = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		cli_err("%s:%d: %s", strcmp(path, "-") == 0 ? "stdin" : path,
		    jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		cli_err("%s: not a JSON object", path);
		json_decref(v);
		return NULL;
	}
	return v;
}

void
cli_print(json_t *v)
{
	json_dumpf(v, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
	putchar('\n');
	fflush(stdout);
}

/* Prints a terminal resource's outputs, or its failure; the exit status. */
int
cli_outcome(json_t *resource)
{
	const char	*phase, *m;
	json_t		*out;

	phase = json_string_value(json_object_get(resource, "phase"));
	if (phase != NULL && strcmp(phase, "SUCCEEDED") == 0) {
		out = json_object_get(resource, "outputs");
		if (out == NULL)
			printf("{}\n");
		else
			cli_print(out);
		return NPC_EXIT_OK;
	}
	m = json_string_value(json_object_get(resource, "message"));
	cli_err("job %s%s%s", phase != NULL ? phase : "(no phase)",
	    m ? ": " : "", m ? m : "");
	return NPC_EXIT_FAILED;
}
