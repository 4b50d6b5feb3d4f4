/*
 * Prometheus text exposition of what the daemon does: request counts by
 * plugin, operation and status, latency histograms, and the pools' gauges
 * (in flight, queued, ready instances, restarts), and the calls a
 * plugin's rate limit refused.  Counters are kept by
 * plugin name, so they survive a reload that restarts a plugin.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nebula-plugind.h"

#define METRICS_MAX_CODES	24

static const double metrics_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60
};
#define METRICS_NBUCKETS (sizeof(metrics_buckets) / sizeof(metrics_buckets[0]))

struct metrics_op {
	int			 mo_codes[METRICS_MAX_CODES];
	unsigned long long	 mo_counts[METRICS_MAX_CODES];
	int			 mo_ncodes;
	unsigned long long	 mo_buckets[METRICS_NBUCKETS];
	unsigned long long	 mo_total;
	double			 mo_sum;
	unsigned long long	 mo_rate_limited;	/* refused by rate: */
};

/* Why an instance was restarted: a fixed set, so a bounded label. */
static const char *const metrics_reasons[] = {
	"exit", "signal", "handshake", "spawn"
};
#define METRICS_NREASONS \
	(sizeof(metrics_reasons) / sizeof(metrics_reasons[0]))

struct metrics_plugin {
	char			*mp_name;
	struct metrics_op	 mp_ops[POOL_NOPS];
	unsigned long long	 mp_log_suppressed;	/* stderr lines */
	unsigned long long	 mp_restarts[METRICS_NREASONS];
};

static struct metrics_plugin	*metrics_plugins;
static size_t			 metrics_nplugins;
static int			 metrics_reload_ok = 1;
static double			 metrics_reload_time;	/* epoch seconds */

/* A reload was tried: ok or not, at the current time. */
void
metrics_reload(int ok)
{
	metrics_reload_ok = ok;
	metrics_reload_time = (double)time(NULL);
}

/* nebula_build_info and process_* (Prometheus names) from /proc/self. */
static void
metrics_process(struct buf *b)
{
	FILE		*f;
	DIR		*d;
	struct dirent	*de;
	char		 line[1024], *p;
	unsigned long	 ut = 0, st = 0, rss = 0;
	unsigned long long start = 0, btime = 0;
	long		 tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	int		 fds = -1;

	buf_printf(b, "# HELP nebula_build_info The daemon's version.\n"
	    "# TYPE nebula_build_info gauge\n"
	    "nebula_build_info{version=\"%s\",protocol=\"%d\"} 1\n",
	    PACKAGE_VERSION, NP_PROTOCOL_VERSION);
	if (metrics_reload_time == 0)
		metrics_reload_time = (double)time(NULL);
	buf_printf(b, "# HELP nebula_config_last_reload_successful Whether "
	    "the last configuration load succeeded.\n"
	    "# TYPE nebula_config_last_reload_successful gauge\n"
	    "nebula_config_last_reload_successful %d\n"
	    "# HELP nebula_config_last_reload_success_timestamp_seconds When "
	    "the configuration was last loaded or a reload tried.\n"
	    "# TYPE nebula_config_last_reload_success_timestamp_seconds gauge\n"
	    "nebula_config_last_reload_success_timestamp_seconds %.0f\n",
	    metrics_reload_ok, metrics_reload_time);
	if ((f = fopen("/proc/self/stat", "r")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL &&
		    (p = strrchr(line, ')')) != NULL)
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
			    "%*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %*u %lu",
			    &ut, &st, &start, &rss);
		fclose(f);
	}
	if ((f = fopen("/proc/stat", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "btime %llu", &btime) == 1)
				break;
		fclose(f);
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		for (fds = 0; (de = readdir(d)) != NULL; )
			if (de->d_name[0] != '.')
				fds++;
		closedir(d);
		fds--;		/* the directory's own */
	}
	if (tck <= 0)
		tck = 100;
	buf_printf(b, "# HELP process_cpu_seconds_total User and system CPU "
	    "time.\n# TYPE process_cpu_seconds_total counter\n"
	    "process_cpu_seconds_total %.2f\n"
	    "# HELP process_resident_memory_bytes Resident memory.\n"
	    "# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes %llu\n"
	    "# HELP process_open_fds Open file descriptors.\n"
	    "# TYPE process_open_fds gauge\n"
	    "process_open_fds %d\n"
	    "# HELP process_start_time_seconds Start time, since the epoch.\n"
	    "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds %.2f\n",
	    (double)(ut + st) / (double)tck,
	    (unsigned long long)rss * (unsigned long long)page, fds,
	    (double)btime + (double)start / (double)tck);
}

static struct metrics_plugin *
metrics_find(const char *name)
{
	struct metrics_plugin	*p;
	size_t			 i;

	for (i = 0; i < metrics_nplugins; i++)
		if (strcmp(metrics_plugins[i].mp_name, name) == 0)
			return &metrics_plugins[i];
	p = reallocarray(metrics_plugins, metrics_nplugins + 1, sizeof(*p));
	if (p == NULL)
		return NULL;
	metrics_plugins = p;
	p = &metrics_plugins[metrics_nplugins];
	memset(p, 0, sizeof(*p));
	if ((p->mp_name = strdup(name)) == NULL)
		return NULL;
	metrics_nplugins++;
	return p;
}

void
metrics_observe(const char *plugin, enum pool_op op, int status,
    double seconds)
{
	struct metrics_plugin	*mp;
	struct metrics_op	*mo;
	size_t			 i;
	int			 c;

	if ((mp = metrics_find(plugin)) == NULL)
		return;
	mo = &mp->mp_ops[op];
	for (c = 0; c < mo->mo_ncodes; c++)
		if (mo->mo_codes[c] == status)
			break;
	if (c == mo->mo_ncodes) {
		if (c == METRICS_MAX_CODES)
			c--;	/* cannot happen: there are fewer statuses */
		else
			mo->mo_ncodes++;
		mo->mo_codes[c] = status;
	}
	mo->mo_counts[c]++;
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (seconds <= metrics_buckets[i])
			mo->mo_buckets[i]++;
	mo->mo_total++;
	mo->mo_sum += seconds;
}

/* A call the plugin's rate limit refused (it is also counted as a 429). */
void
metrics_rate_limited(const char *plugin, enum pool_op op)
{
	struct metrics_plugin	*mp;

	if ((mp = metrics_find(plugin)) != NULL)
		mp->mp_ops[op].mo_rate_limited++;
}

static void
metrics_rate(struct buf *b)
{
	size_t	 i;
	int	 op;

	buf_printf(b, "# HELP nebula_rate_limited_total Calls refused by the "
	    "plugin's rate limit (429), by plugin and operation.\n"
	    "# TYPE nebula_rate_limited_total counter\n");
	for (i = 0; i < metrics_nplugins; i++)
		for (op = 0; op < POOL_NOPS; op++)
			buf_printf(b, "nebula_rate_limited_total{plugin=\"%s\","
			    "op=\"%s\"} %llu\n", metrics_plugins[i].mp_name,
			    pool_op_names[op],
			    metrics_plugins[i].mp_ops[op].mo_rate_limited);
}

/* Worker stderr lines dropped over the plugin's log_rate. */
void
metrics_log_suppressed(const char *plugin, unsigned long long lines)
{
	struct metrics_plugin	*mp;

	if ((mp = metrics_find(plugin)) != NULL)
		mp->mp_log_suppressed += lines;
}

static void
metrics_log(struct buf *b)
{
	size_t	 i;

	buf_printf(b, "# HELP nebula_worker_log_suppressed_lines_total Worker "
	    "stderr lines not logged, over the plugin's log_rate.\n"
	    "# TYPE nebula_worker_log_suppressed_lines_total counter\n");
	for (i = 0; i < metrics_nplugins; i++)
		buf_printf(b, "nebula_worker_log_suppressed_lines_total"
		    "{plugin=\"%s\"} %llu\n", metrics_plugins[i].mp_name,
		    metrics_plugins[i].mp_log_suppressed);
}

/* An instance of plugin restarted, for reason (one of metrics_reasons). */
void
metrics_restart(const char *plugin, const char *reason)
{
	struct metrics_plugin	*mp;
	size_t			 r;

	if ((mp = metrics_find(plugin)) == NULL)
		return;
	for (r = 0; r + 1 < METRICS_NREASONS; r++)
		if (strcmp(metrics_reasons[r], reason) == 0)
			break;
	mp->mp_restarts[r]++;
}

static void
metrics_restarts(struct buf *b)
{
	size_t	 i, r;

	buf_printf(b, "# HELP nebula_worker_restarts_total Instance restarts "
	    "by plugin and reason (exit, signal, handshake, spawn); kept "
	    "across reloads.\n"
	    "# TYPE nebula_worker_restarts_total counter\n");
	for (i = 0; i < metrics_nplugins; i++)
		for (r = 0; r < METRICS_NREASONS; r++)
			buf_printf(b, "nebula_worker_restarts_total{plugin="
			    "\"%s\",reason=\"%s\"} %llu\n",
			    metrics_plugins[i].mp_name, metrics_reasons[r],
			    metrics_plugins[i].mp_restarts[r]);
}

static void
metrics_requests(struct buf *b)
{
	struct metrics_op	*mo;
	size_t			 i, k;
	int			 op, c;

	buf_printf(b, "# HELP nebula_requests_total Plugin requests answered, "
	    "by plugin, operation and HTTP status.\n"
	    "# TYPE nebula_requests_total counter\n");
	for (i = 0; i < metrics_nplugins; i++)
		for (op = 0; op < POOL_NOPS; op++) {
			mo = &metrics_plugins[i].mp_ops[op];
			for (c = 0; c < mo->mo_ncodes; c++)
				buf_printf(b, "nebula_requests_total{plugin=\"%s\","
				    "op=\"%s\",code=\"%d\"} %llu\n",
				    metrics_plugins[i].mp_name, pool_op_names[op],
				    mo->mo_codes[c], mo->mo_counts[c]);
		}
	buf_printf(b, "# HELP nebula_request_duration_seconds Time from "
	    "request to answer, by plugin and operation.\n"
	    "# TYPE nebula_request_duration_seconds histogram\n");
	for (i = 0; i < metrics_nplugins; i++)
		for (op = 0; op < POOL_NOPS; op++) {
			mo = &metrics_plugins[i].mp_ops[op];
			if (mo->mo_total == 0)
				continue;
			for (k = 0; k < METRICS_NBUCKETS; k++)
				buf_printf(b, "nebula_request_duration_seconds_bucket"
				    "{plugin=\"%s\",op=\"%s\",le=\"%g\"} %llu\n",
				    metrics_plugins[i].mp_name, pool_op_names[op],
				    metrics_buckets[k], mo->mo_buckets[k]);
			buf_printf(b, "nebula_request_duration_seconds_bucket"
			    "{plugin=\"%s\",op=\"%s\",le=\"+Inf\"} %llu\n"
			    "nebula_request_duration_seconds_sum"
			    "{plugin=\"%s\",op=\"%s\"} %.6f\n"
			    "nebula_request_duration_seconds_count"
			    "{plugin=\"%s\",op=\"%s\"} %llu\n",
			    metrics_plugins[i].mp_name, pool_op_names[op],
			    mo->mo_total, metrics_plugins[i].mp_name,
			    pool_op_names[op], mo->mo_sum,
			    metrics_plugins[i].mp_name, pool_op_names[op],
			    mo->mo_total);
		}
}

/* Plugin names come from the configuration: [A-Za-z0-9_.-], no quoting. */
void
metrics_render(struct buf *b, const struct pool_stats *stats, size_t npools,
    size_t connections)
{
	size_t			 i;
	static const struct {
		const char	*name, *type, *help;
	} g[] = {
		{ "nebula_in_flight", "gauge", "Requests held by workers." },
		{ "nebula_queued", "gauge", "Requests waiting for a slot." },
		{ "nebula_instances_ready", "gauge", "Instances ready." },
		{ "nebula_instance_restarts_total", "counter",
		    "Instance restarts." },
	};
	size_t			 k;

	metrics_process(b);
	metrics_requests(b);
	metrics_rate(b);
	metrics_log(b);
	metrics_restarts(b);
	for (k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
		buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", g[k].name,
		    g[k].help, g[k].name, g[k].type);
		for (i = 0; i < npools; i++) {
			unsigned long v;

			const struct pool_stats *st = &stats[i];

			v = k == 0 ? (unsigned long)st->ps_in_flight :
			    k == 1 ? (unsigned long)st->ps_queued :
			    k == 2 ? (unsigned long)st->ps_ready :
			    st->ps_restarts;
			buf_printf(b, "%s{plugin=\"%s\"} %lu\n", g[k].name,
			    st->ps_name, v);
		}
	}
	buf_printf(b, "# HELP nebula_http_connections Open client "
	    "connections.\n# TYPE nebula_http_connections gauge\n"
	    "nebula_http_connections %zu\n", connections);
}

void
metrics_free(void)
{
	size_t	 i;

	for (i = 0; i < metrics_nplugins; i++)
		free(metrics_plugins[i].mp_name);
	free(metrics_plugins);
	metrics_plugins = NULL;
	metrics_nplugins = 0;
}
