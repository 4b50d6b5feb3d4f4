/*
 * Prometheus text exposition of what the daemon does: request counts by
 * plugin, operation and status, latency histograms, HTTP answers by route
 * and status, protocol violations, timeouts, restarts by reason, and the
 * pools' gauges (in flight, queued, ready instances).  Counters are kept by
 * plugin name, so they survive a reload that restarts a plugin.
 *
 * Counters live in slots, one per front process, in one mapping made
 * before the fronts fork (metrics_shared): each front writes only its own
 * slot, a restarted front goes on from its predecessor's values, and the
 * front answering /metrics sums every slot, so one scrape shows the whole
 * daemon and no counter goes backwards.  One writer per slot: no locks.
 */
#include <sys/mman.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nebula-plugind.h"

#define METRICS_MAX_SERIES	2048	/* per slot; further ones are dropped */
#define METRICS_LABEL		96	/* plugin name or route, cut beyond */
#define METRICS_HASH		4096	/* twice the series, a power of 2 */

static const double metrics_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60
};
#define METRICS_NBUCKETS (sizeof(metrics_buckets) / sizeof(metrics_buckets[0]))

/* Why an instance was restarted: a fixed set, so a bounded label. */
static const char *const metrics_reasons[] = {
	"exit", "signal", "handshake", "spawn"
};
#define METRICS_NREASONS \
	(sizeof(metrics_reasons) / sizeof(metrics_reasons[0]))

enum metrics_kind {
	MK_PLUGIN,		/* the plugin is known: zeros are shown */
	MK_REQUESTS,		/* plugin, op, code */
	MK_DURATION,		/* plugin, op: the histogram */
	MK_RATE_LIMITED,	/* plugin, op */
	MK_LOG_SUPPRESSED,	/* plugin */
	MK_RESTARTS,		/* plugin, code: the reason's index */
	MK_VIOLATIONS,		/* plugin */
	MK_TIMEOUTS,		/* plugin, op */
	MK_HTTP			/* label: the route; code: the status */
};

/* One time series; values are written by one process, read by any. */
struct metrics_series {
	uint32_t	 ms_kind;
	uint32_t	 ms_op;
	uint32_t	 ms_code;
	char		 ms_label[METRICS_LABEL];
	uint64_t	 ms_value;	/* the count */
	uint64_t	 ms_sum;	/* histogram: a double's bits */
	uint64_t	 ms_buckets[METRICS_NBUCKETS];
};

struct metrics_slot {
	uint32_t		 msl_n;		/* series complete (release) */
	uint32_t		 msl_dropped;
	struct metrics_series	 msl_series[METRICS_MAX_SERIES];
};

/* A hash of series indexes (+1, 0 empty) over one array of series. */
struct metrics_index {
	uint16_t	 mi_slot[METRICS_HASH];
};

static struct metrics_slot	*metrics_slots;	/* the mapping */
static size_t			 metrics_nslots;
static struct metrics_slot	*metrics_mine;	/* the slot this process writes */
static struct metrics_index	 metrics_idx;	/* of metrics_mine */
static int			 metrics_reload_ok = 1;
static double			 metrics_reload_time;	/* epoch seconds */

static uint32_t
metrics_hash(uint32_t kind, uint32_t op, uint32_t code, const char *label)
{
	uint32_t	 h = 2166136261u;
	uint32_t	 v[3] = { kind, op, code };
	size_t		 i;

	for (i = 0; i < 3; i++)
		h = (h ^ v[i]) * 16777619u;
	for (; *label != '\0'; label++)
		h = (h ^ (unsigned char)*label) * 16777619u;
	return h;
}

static int
metrics_same(const struct metrics_series *s, uint32_t kind, uint32_t op,
    uint32_t code, const char *label)
{
	return s->ms_kind == kind && s->ms_op == op && s->ms_code == code &&
	    strncmp(s->ms_label, label, METRICS_LABEL - 1) == 0;
}

/*
 * The series' index in arr through idx, or -1; with add and room left it
 * is appended (its fields written before *np is published).
 */
static int
metrics_lookup(struct metrics_index *idx, struct metrics_series *arr,
    uint32_t *np, uint32_t kind, uint32_t op, uint32_t code,
    const char *label, int add)
{
	struct metrics_series	*s;
	uint32_t		 h, n;

	h = metrics_hash(kind, op, code, label) & (METRICS_HASH - 1);
	for (; idx->mi_slot[h] != 0; h = (h + 1) & (METRICS_HASH - 1))
		if (metrics_same(&arr[idx->mi_slot[h] - 1], kind, op, code,
		    label))
			return idx->mi_slot[h] - 1;
	n = *np;
	if (!add || n == METRICS_MAX_SERIES)
		return -1;
	s = &arr[n];
	memset(s, 0, sizeof(*s));
	s->ms_kind = kind;
	s->ms_op = op;
	s->ms_code = code;
	snprintf(s->ms_label, sizeof(s->ms_label), "%s", label);
	idx->mi_slot[h] = (uint16_t)(n + 1);
	__atomic_store_n(np, n + 1, __ATOMIC_RELEASE);
	return (int)n;
}

/* Indexes what a slot already holds (a restarted front's predecessor). */
static void
metrics_index_slot(void)
{
	struct metrics_series	*s;
	uint32_t		 i, n, h;

	memset(&metrics_idx, 0, sizeof(metrics_idx));
	n = __atomic_load_n(&metrics_mine->msl_n, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++) {
		s = &metrics_mine->msl_series[i];
		h = metrics_hash(s->ms_kind, s->ms_op, s->ms_code,
		    s->ms_label) & (METRICS_HASH - 1);
		while (metrics_idx.mi_slot[h] != 0)
			h = (h + 1) & (METRICS_HASH - 1);
		metrics_idx.mi_slot[h] = (uint16_t)(i + 1);
	}
}

static struct metrics_slot *
metrics_map(size_t n, int shared)
{
	void	*p;

	p = mmap(NULL, n * sizeof(struct metrics_slot), PROT_READ |
	    PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
	    -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * front.c, before forking n fronts: one slot each in a shared mapping
 * (pages are only touched as series appear).  0, or -1 (then each front
 * counts alone).
 */
int
metrics_shared(int n)
{
	struct metrics_slot	*s;

	if (n < 1 || (s = metrics_map((size_t)n, 1)) == NULL)
		return -1;
	metrics_free();
	metrics_slots = s;
	metrics_nslots = (size_t)n;
	metrics_mine = NULL;
	return 0;
}

/* In front i (of metrics_shared's n): the slot it writes. */
void
metrics_set_slot(int i)
{
	if (metrics_slots == NULL || i < 0 || (size_t)i >= metrics_nslots)
		return;
	metrics_mine = &metrics_slots[i];
	metrics_index_slot();
}

/* The series to count in, made on first use; NULL when full. */
static struct metrics_series *
metrics_series(uint32_t kind, uint32_t op, uint32_t code, const char *label)
{
	int	 i;

	if (metrics_mine == NULL) {
		if (metrics_slots == NULL) {
			if ((metrics_slots = metrics_map(1, 0)) == NULL)
				return NULL;
			metrics_nslots = 1;
		}
		metrics_mine = &metrics_slots[0];
		metrics_index_slot();
	}
	i = metrics_lookup(&metrics_idx, metrics_mine->msl_series,
	    &metrics_mine->msl_n, kind, op, code, label, 1);
	if (i == -1) {
		metrics_mine->msl_dropped++;
		return NULL;
	}
	return &metrics_mine->msl_series[i];
}

/* One writer: a relaxed store is enough for a reader in another front. */
static void
metrics_add(uint64_t *v, uint64_t n)
{
	__atomic_store_n(v, *v + n, __ATOMIC_RELAXED);
}

/* Counts n in the plugin's series (the plugin itself made known first). */
static void
metrics_count(uint32_t kind, const char *plugin, uint32_t op, uint32_t code,
    uint64_t n)
{
	struct metrics_series	*s;

	if (metrics_series(MK_PLUGIN, 0, 0, plugin) == NULL ||
	    (s = metrics_series(kind, op, code, plugin)) == NULL)
		return;
	metrics_add(&s->ms_value, n);
}

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

void
metrics_observe(const char *plugin, enum pool_op op, int status,
    double seconds)
{
	struct metrics_series	*s;
	double			 sum;
	uint64_t		 bits;
	size_t			 i;

	metrics_count(MK_REQUESTS, plugin, op, (uint32_t)status, 1);
	if ((s = metrics_series(MK_DURATION, op, 0, plugin)) == NULL)
		return;
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (seconds <= metrics_buckets[i])
			metrics_add(&s->ms_buckets[i], 1);
	memcpy(&sum, &s->ms_sum, sizeof(sum));
	sum += seconds;
	memcpy(&bits, &sum, sizeof(bits));
	__atomic_store_n(&s->ms_sum, bits, __ATOMIC_RELAXED);
	metrics_add(&s->ms_value, 1);
}

/* A call the plugin's rate limit refused (it is also counted as a 429). */
void
metrics_rate_limited(const char *plugin, enum pool_op op)
{
	metrics_count(MK_RATE_LIMITED, plugin, op, 0, 1);
}

/* Worker stderr lines dropped over the plugin's log_rate. */
void
metrics_log_suppressed(const char *plugin, unsigned long long lines)
{
	metrics_count(MK_LOG_SUPPRESSED, plugin, 0, 0, lines);
}

/* An instance of plugin restarted, for reason (one of metrics_reasons). */
void
metrics_restart(const char *plugin, const char *reason)
{
	uint32_t	 r;

	for (r = 0; r + 1 < METRICS_NREASONS; r++)
		if (strcmp(metrics_reasons[r], reason) == 0)
			break;
	metrics_count(MK_RESTARTS, plugin, 0, r, 1);
}

/* A line of the plugin's worker broke the protocol and was dropped. */
void
metrics_violation(const char *plugin)
{
	metrics_count(MK_VIOLATIONS, plugin, 0, 0, 1);
}

/* A call to the plugin ran out of time (504). */
void
metrics_timeout(const char *plugin, enum pool_op op)
{
	metrics_count(MK_TIMEOUTS, plugin, op, 0, 1);
}

/*
 * An HTTP answer: route is the matched route's pattern (a bounded set),
 * NULL for none ("unknown").
 */
void
metrics_http(const char *route, int status)
{
	struct metrics_series	*s;

	if ((s = metrics_series(MK_HTTP, 0, (uint32_t)status,
	    route != NULL ? route : "unknown")) != NULL)
		metrics_add(&s->ms_value, 1);
}

/* Every slot's series summed, in order of first appearance. */
struct metrics_sum {
	struct metrics_series	*mm_series;	/* METRICS_MAX_SERIES */
	uint32_t		 mm_n;
	struct metrics_index	 mm_idx;
};

static int
metrics_merge(struct metrics_sum *m)
{
	const struct metrics_series	*s;
	struct metrics_series		*d;
	uint64_t			 v;
	double				 a, b;
	uint32_t			 i, n;
	size_t				 k, j;
	int				 at;

	memset(m, 0, sizeof(*m));
	if ((m->mm_series = calloc(METRICS_MAX_SERIES,
	    sizeof(*m->mm_series))) == NULL)
		return -1;
	for (k = 0; k < metrics_nslots; k++) {
		n = __atomic_load_n(&metrics_slots[k].msl_n, __ATOMIC_ACQUIRE);
		for (i = 0; i < n; i++) {
			s = &metrics_slots[k].msl_series[i];
			if ((at = metrics_lookup(&m->mm_idx, m->mm_series,
			    &m->mm_n, s->ms_kind, s->ms_op, s->ms_code,
			    s->ms_label, 1)) == -1)
				continue;
			d = &m->mm_series[at];
			d->ms_value += __atomic_load_n(&s->ms_value,
			    __ATOMIC_RELAXED);
			for (j = 0; j < METRICS_NBUCKETS; j++)
				d->ms_buckets[j] += __atomic_load_n(
				    &s->ms_buckets[j], __ATOMIC_RELAXED);
			v = __atomic_load_n(&s->ms_sum, __ATOMIC_RELAXED);
			memcpy(&a, &v, sizeof(a));
			memcpy(&b, &d->ms_sum, sizeof(b));
			b += a;
			memcpy(&d->ms_sum, &b, sizeof(b));
		}
	}
	return 0;
}

/* The summed value of one series, 0 when it never appeared. */
static unsigned long long
metrics_get(struct metrics_sum *m, uint32_t kind, uint32_t op, uint32_t code,
    const char *label)
{
	int	 i;

	i = metrics_lookup(&m->mm_idx, m->mm_series, &m->mm_n, kind, op, code,
	    label, 0);
	return i == -1 ? 0 : (unsigned long long)m->mm_series[i].ms_value;
}

/* Calls a plugin's rate limit refused, by plugin and op (zeros shown). */
static void
metrics_rate(struct buf *b, struct metrics_sum *m)
{
	const char	*name;
	uint32_t	 i;
	int		 op;

	buf_printf(b, "# HELP nebula_rate_limited_total Calls refused by the "
	    "plugin's rate limit (429), by plugin and operation.\n"
	    "# TYPE nebula_rate_limited_total counter\n");
	for (i = 0; i < m->mm_n; i++) {
		if (m->mm_series[i].ms_kind != MK_PLUGIN)
			continue;
		name = m->mm_series[i].ms_label;
		for (op = 0; op < POOL_NOPS; op++)
			buf_printf(b, "nebula_rate_limited_total{plugin=\"%s\","
			    "op=\"%s\"} %llu\n", name, pool_op_names[op],
			    metrics_get(m, MK_RATE_LIMITED, (uint32_t)op, 0,
			    name));
	}
}

/* Counters by plugin alone: suppressed log lines, protocol violations. */
static void
metrics_by_plugin(struct buf *b, struct metrics_sum *m, uint32_t kind,
    const char *metric, const char *help)
{
	uint32_t	 i;

	buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", metric, help,
	    metric);
	for (i = 0; i < m->mm_n; i++)
		if (m->mm_series[i].ms_kind == MK_PLUGIN)
			buf_printf(b, "%s{plugin=\"%s\"} %llu\n", metric,
			    m->mm_series[i].ms_label, metrics_get(m, kind, 0,
			    0, m->mm_series[i].ms_label));
}

static void
metrics_restarts(struct buf *b, struct metrics_sum *m)
{
	const char	*name;
	uint32_t	 i, r;

	buf_printf(b, "# HELP nebula_worker_restarts_total Instance restarts "
	    "by plugin and reason (exit, signal, handshake, spawn); kept "
	    "across reloads.\n"
	    "# TYPE nebula_worker_restarts_total counter\n");
	for (i = 0; i < m->mm_n; i++) {
		if (m->mm_series[i].ms_kind != MK_PLUGIN)
			continue;
		name = m->mm_series[i].ms_label;
		for (r = 0; r < METRICS_NREASONS; r++)
			buf_printf(b, "nebula_worker_restarts_total{plugin="
			    "\"%s\",reason=\"%s\"} %llu\n", name,
			    metrics_reasons[r], metrics_get(m, MK_RESTARTS, 0,
			    r, name));
	}
}

/* Every series of one kind with its plugin, op and status as labels. */
static void
metrics_by_op(struct buf *b, struct metrics_sum *m, uint32_t kind,
    const char *metric, const char *help, int with_code)
{
	const struct metrics_series	*s;
	uint32_t			 i;

	buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", metric, help,
	    metric);
	for (i = 0; i < m->mm_n; i++) {
		s = &m->mm_series[i];
		if (s->ms_kind != kind || s->ms_op >= POOL_NOPS)
			continue;
		buf_printf(b, "%s{plugin=\"%s\",op=\"%s\"", metric,
		    s->ms_label, pool_op_names[s->ms_op]);
		if (with_code)
			buf_printf(b, ",code=\"%u\"", s->ms_code);
		buf_printf(b, "} %llu\n", (unsigned long long)s->ms_value);
	}
}

static void
metrics_durations(struct buf *b, struct metrics_sum *m)
{
	const struct metrics_series	*s;
	const char			*name, *op;
	double				 sum;
	uint32_t			 i;
	size_t				 k;

	buf_printf(b, "# HELP nebula_request_duration_seconds Time from "
	    "request to answer, by plugin and operation.\n"
	    "# TYPE nebula_request_duration_seconds histogram\n");
	for (i = 0; i < m->mm_n; i++) {
		s = &m->mm_series[i];
		if (s->ms_kind != MK_DURATION || s->ms_op >= POOL_NOPS ||
		    s->ms_value == 0)
			continue;
		name = s->ms_label;
		op = pool_op_names[s->ms_op];
		for (k = 0; k < METRICS_NBUCKETS; k++)
			buf_printf(b, "nebula_request_duration_seconds_bucket"
			    "{plugin=\"%s\",op=\"%s\",le=\"%g\"} %llu\n", name,
			    op, metrics_buckets[k],
			    (unsigned long long)s->ms_buckets[k]);
		memcpy(&sum, &s->ms_sum, sizeof(sum));
		buf_printf(b, "nebula_request_duration_seconds_bucket"
		    "{plugin=\"%s\",op=\"%s\",le=\"+Inf\"} %llu\n"
		    "nebula_request_duration_seconds_sum"
		    "{plugin=\"%s\",op=\"%s\"} %.6f\n"
		    "nebula_request_duration_seconds_count"
		    "{plugin=\"%s\",op=\"%s\"} %llu\n", name, op,
		    (unsigned long long)s->ms_value, name, op, sum, name, op,
		    (unsigned long long)s->ms_value);
	}
}

/* HTTP answers by route pattern and status: bounded labels only. */
static void
metrics_http_render(struct buf *b, struct metrics_sum *m)
{
	const struct metrics_series	*s;
	uint32_t			 i;

	buf_printf(b, "# HELP nebula_http_responses_total HTTP/1.1 answers, "
	    "by route pattern (\"unknown\": no route) and status.\n"
	    "# TYPE nebula_http_responses_total counter\n");
	for (i = 0; i < m->mm_n; i++) {
		s = &m->mm_series[i];
		if (s->ms_kind == MK_HTTP)
			buf_printf(b, "nebula_http_responses_total{route=\"%s\","
			    "status=\"%u\"} %llu\n", s->ms_label, s->ms_code,
			    (unsigned long long)s->ms_value);
	}
}

/*
 * Plugin names come from the configuration and routes from the route
 * tables: [A-Za-z0-9_.{}/-], no quoting.  The gauges (stats) are this
 * front's; the counters are every front's.
 */
void
metrics_render(struct buf *b, const struct pool_stats *stats, size_t npools,
    size_t connections)
{
	struct metrics_sum	 m;
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
	if (metrics_merge(&m) == 0) {
		metrics_by_op(b, &m, MK_REQUESTS, "nebula_requests_total",
		    "Plugin requests answered, by plugin, operation and HTTP "
		    "status.", 1);
		metrics_durations(b, &m);
		metrics_rate(b, &m);
		metrics_by_plugin(b, &m, MK_LOG_SUPPRESSED,
		    "nebula_worker_log_suppressed_lines_total", "Worker stderr "
		    "lines not logged, over the plugin's log_rate.");
		metrics_restarts(b, &m);
		metrics_by_plugin(b, &m, MK_VIOLATIONS,
		    "nebula_protocol_violations_total", "Worker lines that "
		    "broke the protocol and were dropped, by plugin.");
		metrics_by_op(b, &m, MK_TIMEOUTS, "nebula_timeouts_total",
		    "Calls that ran out of time (504), by plugin and "
		    "operation.", 0);
		metrics_http_render(b, &m);
		free(m.mm_series);
	}
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
	buf_printf(b, "# HELP nebula_fronts Front processes whose counters "
	    "this scrape sums (front_processes).\n"
	    "# TYPE nebula_fronts gauge\nnebula_fronts %zu\n",
	    metrics_nslots ? metrics_nslots : 1);
}

void
metrics_free(void)
{
	if (metrics_slots != NULL)
		munmap(metrics_slots, metrics_nslots * sizeof(*metrics_slots));
	metrics_slots = NULL;
	metrics_nslots = 0;
	metrics_mine = NULL;
}
