/*
 * libFuzzer target for the configuration parser (supervisor/config.c): the
 * input is a YAML file given to config_parse(), and also, when short, a
 * duration and a size value.  A configuration that parses must be
 * internally consistent (NULL-terminated lists of the stated lengths, every
 * plugin found by its name and equal to itself) and parse the same twice.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-plugind.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* config_load() falls back to it; the fuzzer never calls config_load(). */
const char config_default_yaml[] = "";

static void
config_check_strv(char **v, size_t n)
{
	size_t	 i;

	if (v == NULL) {
		if (n != 0)
			abort();
		return;
	}
	for (i = 0; i < n; i++)
		if (v[i] == NULL)
			abort();
	if (v[n] != NULL)
		abort();
}

static void
config_check(struct config *cf)
{
	struct plugin_conf	*pc, *found;
	size_t			 i, j;

	config_check_strv(cf->cf_listen, cf->cf_nlisten);
	if (cf->cf_limits.max_connections < 0 ||
	    !isfinite(cf->cf_limits.header_timeout) ||
	    !isfinite(cf->cf_limits.body_timeout) ||
	    !isfinite(cf->cf_limits.idle_timeout))
		abort();
	for (i = 0; i < cf->cf_nplugins; i++) {
		pc = &cf->cf_plugins[i];
		if (pc->pc_name == NULL)
			abort();
		config_check_strv(pc->pc_argv, pc->pc_argc);
		for (j = 0; j < pc->pc_ntask_types; j++) {
			if (pc->pc_task_types[j].tt_type == NULL)
				abort();
			config_check_strv(pc->pc_task_types[j].tt_versions,
			    pc->pc_task_types[j].tt_nversions);
		}
		for (j = 0; j < pc->pc_nenv; j++)
			if (pc->pc_env[j].env_name == NULL ||
			    pc->pc_env[j].env_value == NULL)
				abort();
		for (j = 0; j < pc->pc_nsecrets; j++)
			if (pc->pc_secrets[j].env_name == NULL ||
			    pc->pc_secrets[j].env_value == NULL)
				abort();
		if (!config_plugin_equal(pc, pc))
			abort();
		found = config_plugin_find(cf, pc->pc_name);
		if (found == NULL || strcmp(found->pc_name, pc->pc_name) != 0)
			abort();
	}
}

static void
config_values(const uint8_t *data, size_t size)
{
	char		 s[80];
	double		 d;
	long long	 n;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (config_parse_duration(s, &d) == 0 && (!isfinite(d) || d < 0))
		abort();
	if (config_parse_size(s, &n) == 0 && n < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cf, *again;
	char		 err[512];
	size_t		 i;

	config_values(data, size);
	err[0] = '\0';
	cf = config_parse((const char *)data, size, "fuzz.yaml", err,
	    sizeof(err));
	if (cf == NULL) {
		if (err[0] == '\0')
			abort();	/* a refusal always says why */
		return 0;
	}
	config_check(cf);
	if ((again = config_parse((const char *)data, size, "fuzz.yaml", err,
	    sizeof(err))) == NULL || again->cf_nplugins != cf->cf_nplugins)
		abort();
	for (i = 0; i < cf->cf_nplugins; i++)
		if (!config_plugin_equal(&cf->cf_plugins[i],
		    &again->cf_plugins[i]))
			abort();
	config_free(again);
	config_free(cf);
	return 0;
}
