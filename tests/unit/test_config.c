/*
 * Unit tests for supervisor/config.c: the shipped default and every default
 * value, durations and sizes, listen forms, command resolution against the
 * configuration's directory, reload equality, and bad files refused with the
 * right line and reason.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nebula-plugind.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR	"."
#endif

static struct config *
parse(const char *yaml, char *err, size_t errlen)
{
	return config_parse(yaml, strlen(yaml), "conf.yaml", err, errlen);
}

static struct config *
parse_ok(const char *yaml)
{
	struct config	*cf;
	char		 err[512];

	cf = parse(yaml, err, sizeof(err));
	if (cf == NULL)
		fail_msg("unexpected error: %s", err);
	return cf;
}

static void
test_default_config_is_the_shipped_file(void **state)
{
	struct config		*cf;
	struct plugin_conf	*pc;

	(void)state;
	cf = parse_ok(config_default_yaml);
	assert_null(cf->cf_path);
	assert_null(cf->cf_dir);
	assert_int_equal(cf->cf_nlisten, 1);
	assert_string_equal(cf->cf_listen[0], "127.0.0.1:8000");
	assert_null(cf->cf_listen[1]);
	assert_int_equal(cf->cf_nplugins, 2);

	pc = config_plugin_find(cf, "echo");
	assert_non_null(pc);
	assert_int_equal(pc->pc_argc, 1);
	assert_string_equal(pc->pc_argv[0], "nebula-echo");
	assert_null(pc->pc_argv[1]);
	assert_string_equal(pc->pc_path, "nebula-echo");
	assert_int_equal(pc->pc_ntask_types, 1);
	assert_string_equal(pc->pc_task_types[0].tt_type, "echo");
	assert_int_equal(pc->pc_task_types[0].tt_nversions, 1);
	assert_string_equal(pc->pc_task_types[0].tt_versions[0], "v1");
	assert_int_equal(pc->pc_instances, 1);

	pc = config_plugin_find(cf, "sleep");
	assert_non_null(pc);
	assert_string_equal(pc->pc_path, "nebula-sleep");
	assert_int_equal(pc->pc_ntask_types, 1);
	assert_string_equal(pc->pc_task_types[0].tt_type, "sleep");
	assert_string_equal(pc->pc_task_types[0].tt_versions[0], "v1");
	assert_null(config_plugin_find(cf, "nope"));
	config_free(cf);
}

static void
test_log_rate(void **state)
{
	struct config	*cf;

	(void)state;
	cf = parse_ok("plugins: [{name: a, command: [w]}]\n");
	assert_int_equal(cf->cf_plugins[0].pc_log_lines, 100);
	assert_int_equal(cf->cf_plugins[0].pc_log_bytes, 65536);
	config_free(cf);
	cf = parse_ok("plugins: [{name: a, command: [w], "
	    "log_rate: {lines: 5, bytes: 1K}}]\n");
	assert_int_equal(cf->cf_plugins[0].pc_log_lines, 5);
	assert_int_equal(cf->cf_plugins[0].pc_log_bytes, 1024);
	config_free(cf);
	cf = parse_ok("plugins: [{name: a, command: [w], "
	    "log_rate: {lines: 0, bytes: 0}}]\n");
	assert_int_equal(cf->cf_plugins[0].pc_log_lines, 0);
	assert_int_equal(cf->cf_plugins[0].pc_log_bytes, 0);
	config_free(cf);
}

static void
test_every_default(void **state)
{
	struct config		*cf;
	struct plugin_conf	*pc;

	(void)state;
	cf = parse_ok("plugins: [{name: a, command: [w]}]\n");
	assert_int_equal(cf->cf_nlisten, 1);
	assert_string_equal(cf->cf_listen[0], NP_DEFAULT_LISTEN);
	assert_null(cf->cf_tokens_file);
	assert_int_equal(cf->cf_metrics_public, 1);
	assert_null(cf->cf_rid_key_file);
	assert_null(cf->cf_tls_cert);
	assert_null(cf->cf_tls_key);
	assert_null(cf->cf_tls_ca);
	assert_true(cf->cf_drain_delay == 0);
	assert_int_equal(cf->cf_access_log, 1);
	assert_int_equal(cf->cf_limits.max_body_bytes, 1048576);
	assert_int_equal(cf->cf_limits.max_connections, 4096);
	assert_true(cf->cf_limits.header_timeout == 10);
	assert_true(cf->cf_limits.body_timeout == 30);
	assert_true(cf->cf_limits.idle_timeout == 60);
	assert_int_equal(cf->cf_limits.max_header_bytes, 16384);
	assert_int_equal(cf->cf_limits.max_line_bytes, 16777216);

	pc = &cf->cf_plugins[0];
	assert_string_equal(pc->pc_name, "a");
	assert_int_equal(pc->pc_line, 1);
	assert_null(pc->pc_task_types);
	assert_int_equal(pc->pc_ntask_types, 0);
	assert_int_equal(pc->pc_instances, 1);
	assert_int_equal(pc->pc_concurrency, 0);
	assert_int_equal(pc->pc_queue, 1024);
	assert_true(pc->pc_t_start == 5);
	assert_true(pc->pc_t_create == 30);
	assert_true(pc->pc_t_get == 10);
	assert_true(pc->pc_t_delete == 10);
	assert_true(pc->pc_t_stop == 5);
	assert_true(pc->pc_restart_initial == 0.1);
	assert_true(pc->pc_restart_max == 30);
	assert_int_equal(pc->pc_nenv, 0);
	assert_int_equal(pc->pc_nsecrets, 0);
	assert_null(pc->pc_tokens_file);
	assert_null(pc->pc_user);
	assert_null(pc->pc_group);
	assert_null(pc->pc_workdir);
	assert_null(pc->pc_image);
	assert_true(pc->pc_rl_as == RLIMIT_UNSET);
	assert_true(pc->pc_rl_nofile == RLIMIT_UNSET);
	assert_true(pc->pc_rl_cpu == RLIMIT_UNSET);
	config_free(cf);

	/* A task type without versions serves v1; null keys are absent. */
	cf = parse_ok("---\nlisten:\nauth: ~\nplugins:\n  - name: a\n"
	    "    command: [w]\n    task_types: [{type: t}]\n    queue:\n");
	assert_string_equal(cf->cf_listen[0], NP_DEFAULT_LISTEN);
	pc = &cf->cf_plugins[0];
	assert_int_equal(pc->pc_line, 5);
	assert_int_equal(pc->pc_ntask_types, 1);
	assert_int_equal(pc->pc_task_types[0].tt_nversions, 1);
	assert_string_equal(pc->pc_task_types[0].tt_versions[0], "v1");
	assert_null(pc->pc_task_types[0].tt_versions[1]);
	assert_int_equal(pc->pc_queue, 1024);
	config_free(cf);
}

static void
test_every_option_is_read(void **state)
{
	struct config		*cf;
	struct plugin_conf	*pc;
	char			 err[512];

	(void)state;
	cf = config_load(TOP_SRCDIR "/tests/fixtures/conf/full.yaml", err,
	    sizeof(err));
	if (cf == NULL)
		fail_msg("%s", err);
	assert_string_equal(cf->cf_path,
	    TOP_SRCDIR "/tests/fixtures/conf/full.yaml");
	assert_non_null(cf->cf_dir);
	assert_true(cf->cf_dir[0] == '/');
	assert_int_equal(cf->cf_nlisten, 2);
	assert_string_equal(cf->cf_listen[0], "127.0.0.1:0");
	assert_string_equal(cf->cf_listen[1], "[::1]:9000");
	assert_null(cf->cf_listen[2]);
	assert_string_equal(cf->cf_tokens_file, "/etc/nebula/tokens");
	assert_int_equal(cf->cf_metrics_public, 0);
	assert_string_equal(cf->cf_rid_key_file, "/etc/nebula/rid.key");
	assert_string_equal(cf->cf_tls_cert, "/etc/nebula/tls.crt");
	assert_string_equal(cf->cf_tls_key, "/etc/nebula/tls.key");
	assert_string_equal(cf->cf_tls_ca, "/etc/nebula/ca.crt");
	assert_true(cf->cf_drain_delay == 5);
	assert_int_equal(cf->cf_access_log, 0);
	assert_int_equal(cf->cf_limits.max_body_bytes, 2 * 1024 * 1024);
	assert_int_equal(cf->cf_limits.max_connections, 100);
	assert_true(cf->cf_limits.header_timeout == 1.5);
	assert_true(cf->cf_limits.body_timeout == 60);
	assert_true(cf->cf_limits.idle_timeout == 2);
	assert_int_equal(cf->cf_limits.max_header_bytes, 8192);
	assert_int_equal(cf->cf_limits.max_line_bytes, 1048576);
	assert_int_equal(cf->cf_nplugins, 2);

	pc = config_plugin_find(cf, "bigquery");
	assert_non_null(pc);
	assert_int_equal(pc->pc_line, 21);
	assert_int_equal(pc->pc_argc, 3);
	assert_string_equal(pc->pc_argv[0], "bin/nebula-bigquery");
	assert_string_equal(pc->pc_argv[1], "--verbose");
	assert_string_equal(pc->pc_argv[2], "");
	assert_null(pc->pc_argv[3]);
	assert_true(strncmp(pc->pc_path, cf->cf_dir, strlen(cf->cf_dir)) == 0);
	assert_string_equal(pc->pc_path + strlen(cf->cf_dir),
	    "/bin/nebula-bigquery");
	assert_int_equal(pc->pc_ntask_types, 2);
	assert_string_equal(pc->pc_task_types[0].tt_type, "bigquery");
	assert_int_equal(pc->pc_task_types[0].tt_nversions, 2);
	assert_string_equal(pc->pc_task_types[0].tt_versions[0], "v1");
	assert_string_equal(pc->pc_task_types[0].tt_versions[1], "v2");
	assert_null(pc->pc_task_types[0].tt_versions[2]);
	assert_string_equal(pc->pc_task_types[1].tt_type, "bq");
	assert_string_equal(pc->pc_task_types[1].tt_versions[0], "v1");
	assert_int_equal(pc->pc_instances, 2);
	assert_int_equal(pc->pc_concurrency, 64);
	assert_int_equal(pc->pc_queue, 0);
	assert_true(pc->pc_t_start == 1);
	assert_true(pc->pc_t_create == 2);
	assert_true(pc->pc_t_get == 3);
	assert_true(pc->pc_t_delete == 4);
	assert_true(pc->pc_t_stop == 0.5);
	assert_true(pc->pc_restart_initial == 0.2);
	assert_true(pc->pc_restart_max == 3600);
	assert_int_equal(pc->pc_nenv, 3);
	assert_string_equal(pc->pc_env[0].env_name, "BQ_PROJECT");
	assert_string_equal(pc->pc_env[0].env_value, "my-project");
	assert_string_equal(pc->pc_env[1].env_name, "BQ_RETRIES");
	assert_string_equal(pc->pc_env[1].env_value, "3");
	assert_string_equal(pc->pc_env[2].env_name, "EMPTY");
	assert_string_equal(pc->pc_env[2].env_value, "");
	assert_int_equal(pc->pc_nsecrets, 1);
	assert_string_equal(pc->pc_secrets[0].env_name, "BQ_TOKEN");
	assert_string_equal(pc->pc_secrets[0].env_value,
	    "/run/secrets/bq-token");
	assert_string_equal(pc->pc_tokens_file, "/etc/nebula/bq-tokens");
	assert_string_equal(pc->pc_user, "nebula-bq");
	assert_string_equal(pc->pc_group, "nebula");
	assert_string_equal(pc->pc_workdir, "/var/lib/nebula/bq");
	assert_string_equal(pc->pc_image, "nebula/plugin-bigquery:1");
	assert_true(pc->pc_rl_as == 1073741824LL);
	assert_true(pc->pc_rl_nofile == 1024);
	assert_true(pc->pc_rl_cpu == 2);

	pc = config_plugin_find(cf, "shell");
	assert_non_null(pc);
	assert_string_equal(pc->pc_path, "/bin/sh");
	assert_string_equal(pc->pc_argv[2], "exec ./worker");
	config_free(cf);
}

static void
test_durations(void **state)
{
	static const struct {
		const char	*s;
		double		 v;
	} good[] = {
		{ "5s", 5 }, { "100ms", 0.1 }, { "2m", 120 }, { "1h", 3600 },
		{ "7", 7 }, { "0", 0 }, { "1.5", 1.5 }, { "0.25s", 0.25 },
		{ "1.5m", 90 }, { ".5", 0.5 }, { "2.", 2 }, { "250ms", 0.25 },
	};
	static const char *const bad[] = {
		"", "s", "ms", "-1", "-1s", "+1s", "1x", "1 s", "1.2.3", ".",
		"1e3", "inf", "nan", "0x10", "5sec", "1d", " 1", "1s ",
	};
	size_t	 i;
	double	 d;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		d = -1;
		if (config_parse_duration(good[i].s, &d) != 0)
			fail_msg("'%s' refused", good[i].s);
		if (d < good[i].v - 1e-9 || d > good[i].v + 1e-9)
			fail_msg("'%s' gave %f", good[i].s, d);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_duration(bad[i], &d) != -1)
			fail_msg("'%s' accepted", bad[i]);
}

static void
test_sizes(void **state)
{
	static const struct {
		const char	*s;
		long long	 v;
	} good[] = {
		{ "0", 0 }, { "1048576", 1048576 }, { "64K", 65536 },
		{ "64k", 65536 }, { "512M", 536870912LL },
		{ "1G", 1073741824LL }, { "2T", 2199023255552LL },
		{ "1KiB", 1024 }, { "1MB", 1048576 },
		{ "9223372036854775807", LLONG_MAX },
	};
	static const char *const bad[] = {
		"", "K", "-1", "+1", "1.5G", "1X", "1 K", "1GG", "0x10",
		"9223372036854775808", "9000000000000T", "1Kb", " 1",
	};
	size_t		 i;
	long long	 v;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		if (config_parse_size(good[i].s, &v) != 0)
			fail_msg("'%s' refused", good[i].s);
		if (v != good[i].v)
			fail_msg("'%s' gave %lld", good[i].s, v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_size(bad[i], &v) != -1)
			fail_msg("'%s' accepted", bad[i]);
}

static void
test_listen_string_or_list(void **state)
{
	struct config	*cf;

	(void)state;
	cf = parse_ok("listen: 0.0.0.0:9000\nplugins: [{name: a, "
	    "command: [w]}]\n");
	assert_int_equal(cf->cf_nlisten, 1);
	assert_string_equal(cf->cf_listen[0], "0.0.0.0:9000");
	assert_null(cf->cf_listen[1]);
	config_free(cf);

	cf = parse_ok("listen:\n  - 127.0.0.1:0\n  - \"[::]:8000\"\n"
	    "  - localhost:65535\nplugins: [{name: a, command: [w]}]\n");
	assert_int_equal(cf->cf_nlisten, 3);
	assert_string_equal(cf->cf_listen[0], "127.0.0.1:0");
	assert_string_equal(cf->cf_listen[1], "[::]:8000");
	assert_string_equal(cf->cf_listen[2], "localhost:65535");
	assert_null(cf->cf_listen[3]);
	config_free(cf);
}

#define P	"plugins:\n  - name: a\n    command: [w]\n"	/* lines 1-3 */

static const struct bad_case {
	const char	*yaml;
	int		 line;
	const char	*reason;
} bad_cases[] = {
	{ "", 1, "the configuration is empty" },
	{ "# nothing\n\n", 1, "the configuration is empty" },
	{ "---\n", 1, "the configuration is empty" },
	{ "listen: [a\nplugins: x\n", 2, "flow sequence" },
	{ "plugins:\n  - name: a\n   bad: indent\n", 3, "" },
	{ "a: b: c\n", 1, "mapping values are not allowed" },
	{ "- a\n- b\n", 1, "must be a mapping" },
	{ "listen: 127.0.0.1:1\nplugin: []\n", 2, "unknown key 'plugin'" },
	{ "listen: 127.0.0.1:1\n", 1, "missing key 'plugins'" },
	{ "plugins: []\n", 1, "plugins: at least one plugin is needed" },
	{ "plugins: {a: b}\n", 1, "plugins: must be a list" },
	{ P "    instances: 0\n", 4,
	    "plugins[0].instances: must be an integer from 1 to 1024" },
	{ P "    instances: -3\n", 4, "from 1 to 1024" },
	{ P "    instances: two\n", 4, "from 1 to 1024" },
	{ P "    instances: 1.5\n", 4, "from 1 to 1024" },
	{ P "    instances: [1]\n", 4, "instances: must be an integer" },
	{ "plugins:\n  - command: [w]\n", 2,
	    "plugins[0]: missing key 'name'" },
	{ "plugins:\n  - name: a\n    command:\n", 2,
	    "plugins[0]: missing key 'command'" },
	{ "plugins:\n  - name: a\n    command: []\n", 3,
	    "plugins[0].command: must not be empty" },
	{ "plugins:\n  - name: a\n    command: w\n", 3,
	    "plugins[0].command: must be a list" },
	{ "plugins:\n  - name: a\n    command: [\"\"]\n", 3,
	    "plugins[0].command[0]: must not be empty" },
	{ "plugins:\n  - name: a\n    command: [w, [x]]\n", 3,
	    "plugins[0].command[1]: must be a string" },
	{ P "  - name: b\n    command: [w]\n  - name: a\n    command: [w]\n",
	    6, "plugins[2].name: plugin 'a' is defined twice "
	    "(first on line 2)" },
	{ P "    task_types: [{type: t, versions: [v1]}]\n  - name: b\n"
	    "    command: [w]\n    task_types:\n      - type: t\n"
	    "        versions: [v2, v1]\n", 9,
	    "plugins[1].task_types[0].versions[1]: t/v1 is already served "
	    "by plugin 'a'" },
	{ P "    task_types: [{type: t}]\n  - name: b\n    command: [w]\n"
	    "    task_types: [{type: t}]\n", 7,
	    "t/v1 is already served by plugin 'a'" },
	{ P "    task_types: [{type: t, versions: [v1, v1]}]\n", 4,
	    "t/v1 is listed twice" },
	{ P "    task_types: [{type: a/b}]\n", 4,
	    "plugins[0].task_types[0].type: must be a non-empty string "
	    "without '/'" },
	{ P "    task_types: [{type: t, versions: [\"v/1\"]}]\n", 4,
	    "without '/'" },
	{ P "    task_types: [{versions: [v1]}]\n", 4, "missing key 'type'" },
	{ P "    task_types: [{type: t, versions: []}]\n", 4,
	    "versions must not be empty" },
	{ P "    task_types: [t]\n", 4, "task_types[0]: must be a mapping" },
	{ P "    task_types: []\n", 4, "task_types: must not be empty" },
	{ "plugins:\n  - name: [a]\n    command: [w]\n", 2,
	    "plugins[0].name: must be a string" },
	{ "plugins:\n  - name: a/b\n    command: [w]\n", 2, "without '/'" },
	{ P "    timeouts:\n      start: 5x\n", 5,
	    "plugins[0].timeouts.start: must be a duration" },
	{ P "    timeouts: {create: 0}\n", 4,
	    "timeouts.create: must be greater than 0" },
	{ P "    timeouts: {start: -1s}\n", 4, "must be a duration" },
	{ P "    timeouts: {begin: 1s}\n", 4,
	    "plugins[0].timeouts: unknown key 'begin'" },
	{ P "    timeouts: 5s\n", 4, "timeouts: must be a mapping" },
	{ P "    restart: {initial: 10s, max: 1s}\n", 4,
	    "max must not be less than initial" },
	{ "limits:\n  max_body_bytes: 12Q\n" P, 2,
	    "limits.max_body_bytes: must be a size" },
	{ "limits:\n  max_header_bytes: 10\n" P, 2, "at least 1024 bytes" },
	{ "limits:\n  idle_timeout: soon\n" P, 2,
	    "limits.idle_timeout: must be a duration" },
	{ "limits:\n  max_connections: 0\n" P, 2,
	    "limits.max_connections: must be an integer" },
	{ P "    queue: -1\n", 4,
	    "plugins[0].queue: must be an integer from 0 to 1000000" },
	{ P "    queue: 1000001\n", 4, "from 0 to 1000000" },
	{ P "    concurrency: 2000\n", 4,
	    "plugins[0].concurrency: must be an integer from 1 to 1024" },
	{ P "    concurrency: 0\n", 4, "from 1 to 1024" },
	{ P "    comand: [w]\n", 4, "plugins[0]: unknown key 'comand'" },
	{ P "    instances: 1\n    instances: 2\n", 5,
	    "duplicate key 'instances'" },
	{ "tls: {cert_file: /c}\n" P, 1,
	    "tls: cert_file and key_file must be given together" },
	{ "tls:\n  key_file: /k\n" P, 2, "must be given together" },
	{ "tls: {client_ca_file: /ca}\n" P, 1,
	    "client_ca_file needs cert_file and key_file" },
	{ "listen: localhost\n" P, 1, "listen: 'localhost' must be HOST:PORT" },
	{ "listen: 127.0.0.1:70000\n" P, 1, "port from 0 to 65535" },
	{ "listen: :80\n" P, 1, "must be HOST:PORT" },
	{ "listen: ::1:80\n" P, 1, "must be HOST:PORT" },
	{ "listen:\n  - a:1\n  - b:x\n" P, 3, "listen[1]: 'b:x' must be" },
	{ "listen:\n  - a:1\n  - a:1\n" P, 3, "'a:1' is listed twice" },
	{ "listen: []\n" P, 1, "listen: must not be empty" },
	{ "listen: {a: 1}\n" P, 1, "listen: must be HOST:PORT" },
	{ P "    secrets: {TOKEN: {path: /x}}\n", 4,
	    "plugins[0].secrets.TOKEN: unknown key 'path'" },
	{ P "    secrets:\n      TOKEN: {}\n", 5,
	    "plugins[0].secrets.TOKEN: missing key 'file'" },
	{ P "    secrets:\n      TOKEN: /x\n", 5, "must be a mapping" },
	{ P "    env: {A: 1}\n    secrets: {A: {file: /x}}\n", 5,
	    "plugins[0].secrets.A: is also set in env" },
	{ P "    env:\n      A: {b: c}\n", 5,
	    "plugins[0].env.A: must be a string" },
	{ P "    env:\n      1A: x\n", 5, "must be an environment variable" },
	{ P "    env: [A=1]\n", 4, "plugins[0].env: must be a mapping" },
	{ P "    rlimits: {stack: 1M}\n", 4,
	    "plugins[0].rlimits: unknown key 'stack'" },
	{ P "    rlimits: {as: lots}\n", 4, "rlimits.as: must be a size" },
	{ P "    rlimits: {nofile: -1}\n", 4, "rlimits.nofile: must be an" },
	{ P "    rlimits: {cpu: forever}\n", 4, "rlimits.cpu: must be a dur" },
	{ P "    log_rate: {lines: -1}\n", 4,
	    "plugins[0].log_rate.lines: must be an integer from 0" },
	{ P "    log_rate: {bytes: lots}\n", 4, "log_rate.bytes: must be a size" },
	{ P "    log_rate: {per: 1s}\n", 4,
	    "plugins[0].log_rate: unknown key 'per'" },
	{ P "    user: \"\"\n", 4, "plugins[0].user: must not be empty" },
	{ P "    workdir: [a]\n", 4, "plugins[0].workdir: must be a string" },
	{ P "---\n" P, 4, "only one YAML document is allowed" },
	{ "access_log: maybe\n" P, 1, "access_log: must be true or false" },
	{ "auth: {metrics_public: 1}\n" P, 1,
	    "auth.metrics_public: must be true or false" },
	{ "auth: {tokens_file: [a]}\n" P, 1,
	    "auth.tokens_file: must be a string" },
	{ "drain_delay: -1\n" P, 1, "drain_delay: must be a duration" },
	{ "resource_id_key_file: \"\"\n" P, 1, "must not be empty" },
	{ "? [a]\n: b\n" P, 1, "keys must be strings" },
	{ "plugins:\n  - name: \"a\\0b\"\n    command: [w]\n", 2,
	    "must not contain NUL bytes" },
};

static void
test_bad_files_name_line_and_reason(void **state)
{
	struct config	*cf;
	char		 err[512], want[32];
	size_t		 i, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		err[0] = '\0';
		cf = parse(bad_cases[i].yaml, err, sizeof(err));
		if (cf != NULL) {
			config_free(cf);
			print_error("case %zu accepted:\n%s", i,
			    bad_cases[i].yaml);
			failed++;
			continue;
		}
		snprintf(want, sizeof(want), "conf.yaml:%d: ",
		    bad_cases[i].line);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, bad_cases[i].reason) == NULL) {
			print_error("case %zu: got \"%s\", want \"%s...%s\"\n",
			    i, err, want, bad_cases[i].reason);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void
test_error_buffer_may_be_small(void **state)
{
	char	 err[8];

	(void)state;
	assert_null(parse("plugins: []\n", err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_null(parse("plugins: []\n", NULL, 0));
}

static void
test_plugin_equal(void **state)
{
	static const char *const differ[] = {
		P "    instances: 2\n",
		P "    concurrency: 3\n",
		P "    queue: 5\n",
		P "    timeouts: {get: 11s}\n",
		P "    timeouts: {stop: 6s}\n",
		P "    restart: {max: 31s}\n",
		P "    env: {A: x}\n",
		P "    secrets: {A: {file: /y}}\n",
		P "    task_types: [{type: t}]\n",
		P "    tokens_file: /t\n",
		P "    user: u\n",
		P "    group: g\n",
		P "    workdir: /w\n",
		P "    image: i\n",
		P "    rlimits: {as: 1G}\n",
		P "    rlimits: {nofile: 7}\n",
		P "    rlimits: {cpu: 7}\n",
		"plugins:\n  - name: a\n    command: [w, x]\n",
		"plugins:\n  - name: a\n    command: [v]\n",
		"plugins:\n  - name: b\n    command: [w]\n",
	};
	struct config	*a, *b;
	size_t		 i;

	(void)state;
	a = parse_ok(P "    env: {A: x}\n");
	b = parse_ok("---\n# moved down: the line does not matter\n"
	    "plugins:\n  - name: a\n    command: [w]\n    env:\n"
	    "      A: \"x\"\n    instances: 1\n    queue: 1024\n");
	assert_true(a->cf_plugins[0].pc_line != b->cf_plugins[0].pc_line);
	assert_true(config_plugin_equal(&a->cf_plugins[0], &b->cf_plugins[0]));
	assert_true(config_plugin_equal(&a->cf_plugins[0], &a->cf_plugins[0]));
	config_free(a);
	config_free(b);

	a = parse_ok(P);
	for (i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		b = parse_ok(differ[i]);
		if (config_plugin_equal(&a->cf_plugins[0], &b->cf_plugins[0]))
			fail_msg("case %zu compares equal:\n%s", i, differ[i]);
		if (config_plugin_equal(&b->cf_plugins[0], &a->cf_plugins[0]))
			fail_msg("case %zu compares equal backwards", i);
		config_free(b);
	}
	b = parse_ok(P "    task_types: [{type: t, versions: [v1]}]\n");
	config_free(a);
	a = parse_ok(P "    task_types: [{type: t, versions: [v1, v2]}]\n");
	assert_false(config_plugin_equal(&a->cf_plugins[0], &b->cf_plugins[0]));
	config_free(a);
	config_free(b);
}

/* main's -p keeps some plugins by lowering cf_nplugins; none may leak. */
static void
test_free_frees_plugins_dropped_by_the_caller(void **state)
{
	struct config		*cf;
	struct plugin_conf	 tmp;

	(void)state;
	cf = parse_ok("plugins:\n  - {name: a, command: [w], env: {A: x}}\n"
	    "  - {name: b, command: [w, y], task_types: [{type: t}]}\n"
	    "  - {name: c, command: [w], secrets: {S: {file: /s}}}\n");
	tmp = cf->cf_plugins[0];
	cf->cf_plugins[0] = cf->cf_plugins[1];
	cf->cf_plugins[1] = tmp;
	cf->cf_nplugins = 1;
	assert_non_null(config_plugin_find(cf, "b"));
	assert_null(config_plugin_find(cf, "a"));
	config_free(cf);
}

static void
test_load_missing_file(void **state)
{
	struct config	*cf;
	char		 err[512];

	(void)state;
	cf = config_load("/nonexistent/nebula/conf.yaml", err, sizeof(err));
	assert_null(cf);
	assert_non_null(strstr(err, "/nonexistent/nebula/conf.yaml"));
	assert_non_null(strstr(err, "No such file"));
	config_free(NULL);
}

static char *
write_file(const char *dir, const char *name, const char *text)
{
	char	*path;
	FILE	*fp;

	if (asprintf(&path, "%s/%s", dir, name) == -1)
		fail_msg("asprintf");
	if ((fp = fopen(path, "w")) == NULL)
		fail_msg("%s", path);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
test_relative_command_from_file_directory(void **state)
{
	struct config		*cf;
	char			 tmpl[] = "/tmp/test_config.XXXXXX", err[512];
	char			*dir, *path, *want, *cwd;

	(void)state;
	if ((dir = mkdtemp(tmpl)) == NULL)
		fail_msg("mkdtemp");
	path = write_file(dir, "conf.yaml", "plugins:\n"
	    "  - {name: rel, command: [bin/w, -x]}\n"
	    "  - {name: dot, command: [./w]}\n"
	    "  - {name: abs, command: [/usr/bin/w]}\n"
	    "  - {name: bare, command: [w]}\n"
	    "  - {name: up, command: [../w]}\n");
	cf = config_load(path, err, sizeof(err));
	if (cf == NULL)
		fail_msg("%s", err);
	assert_string_equal(cf->cf_path, path);
	assert_string_equal(cf->cf_dir, dir);
	if (asprintf(&want, "%s/bin/w", dir) == -1)
		fail_msg("asprintf");
	assert_string_equal(config_plugin_find(cf, "rel")->pc_path, want);
	assert_string_equal(config_plugin_find(cf, "rel")->pc_argv[0], "bin/w");
	free(want);
	if (asprintf(&want, "%s/w", dir) == -1)
		fail_msg("asprintf");
	assert_string_equal(config_plugin_find(cf, "dot")->pc_path, want);
	free(want);
	if (asprintf(&want, "%s/../w", dir) == -1)
		fail_msg("asprintf");
	assert_string_equal(config_plugin_find(cf, "up")->pc_path, want);
	free(want);
	assert_string_equal(config_plugin_find(cf, "abs")->pc_path,
	    "/usr/bin/w");
	assert_string_equal(config_plugin_find(cf, "bare")->pc_path, "w");
	config_free(cf);

	/* A relative file name: its directory is made absolute. */
	if ((cwd = getcwd(NULL, 0)) == NULL || chdir(dir) == -1)
		fail_msg("chdir");
	cf = config_load("conf.yaml", err, sizeof(err));
	if (cf == NULL)
		fail_msg("%s", err);
	assert_string_equal(cf->cf_path, "conf.yaml");
	if (chdir(cwd) == -1)
		fail_msg("chdir back");
	if (asprintf(&want, "%s/bin/w", cf->cf_dir) == -1)
		fail_msg("asprintf");
	assert_true(cf->cf_dir[0] == '/');
	assert_string_equal(config_plugin_find(cf, "rel")->pc_path, want);
	free(want);
	config_free(cf);
	free(cwd);

	/* Errors from a file name it, with the line. */
	unlink(path);
	free(path);
	path = write_file(dir, "bad.yaml", "plugins:\n  - name: a\n"
	    "    command: [w]\n    instances: 0\n");
	assert_null(config_load(path, err, sizeof(err)));
	if (asprintf(&want, "%s:4: plugins[0].instances: ", path) == -1)
		fail_msg("asprintf");
	assert_true(strncmp(err, want, strlen(want)) == 0);
	free(want);
	unlink(path);
	free(path);

	/* A directory is not a configuration file. */
	assert_null(config_load(dir, err, sizeof(err)));
	assert_non_null(strstr(err, dir));
	rmdir(dir);
}

/* rate: per op, in calls per second; burst a whole number; bad ones refused. */
static void
test_rate_key(void **state)
{
	static const char *const bad[] = {
		"{get: 0/s}", "{get: -1/s}", "{get: 5/d}", "{get: fast}",
		"{get: 5/s/s}", "{burst: 0}", "{burst: 1.5}", "{poll: 1/s}",
		"[1]",
	};
	struct config	*cf;
	struct plugin_conf *pc;
	char		 yaml[256], err[512];
	double		 r;
	size_t		 i;

	(void)state;
	cf = parse_ok("plugins:\n  - name: bq\n    command: [w]\n"
	    "    rate: {get: 20/s, create: 30/m, delete: 7200/h, burst: 10}\n");
	pc = &cf->cf_plugins[0];
	assert_true(pc->pc_rate[POOL_OP_GET] == 20);
	assert_true(pc->pc_rate[POOL_OP_CREATE] == 0.5);
	assert_true(pc->pc_rate[POOL_OP_DELETE] == 2);
	assert_true(pc->pc_rate_burst == 10);
	config_free(cf);
	cf = parse_ok("plugins:\n  - name: bq\n    command: [w]\n");
	assert_true(cf->cf_plugins[0].pc_rate[POOL_OP_GET] == 0);
	assert_true(cf->cf_plugins[0].pc_rate_burst == 0);
	config_free(cf);
	assert_int_equal(config_parse_rate("2.5", &r), 0);
	assert_true(r == 2.5);
	assert_int_equal(config_parse_rate("60/min", &r), 0);
	assert_true(r == 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml), "plugins:\n  - name: bq\n"
		    "    command: [w]\n    rate: %s\n", bad[i]);
		err[0] = '\0';
		if ((cf = parse(yaml, err, sizeof(err))) != NULL) {
			config_free(cf);
			fail_msg("accepted rate: %s", bad[i]);
		}
		if (strstr(err, "conf.yaml:4: plugins[0].rate") == NULL)
			fail_msg("rate %s: got \"%s\"", bad[i], err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_config_is_the_shipped_file),
		cmocka_unit_test(test_every_default),
		cmocka_unit_test(test_log_rate),
		cmocka_unit_test(test_every_option_is_read),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_listen_string_or_list),
		cmocka_unit_test(test_bad_files_name_line_and_reason),
		cmocka_unit_test(test_error_buffer_may_be_small),
		cmocka_unit_test(test_plugin_equal),
		cmocka_unit_test(test_free_frees_plugins_dropped_by_the_caller),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_relative_command_from_file_directory),
		cmocka_unit_test(test_rate_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
