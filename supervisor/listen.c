/*
 * The listening sockets: resolving and binding "host:port" addresses,
 * accepting connections without blocking, and pausing accept while the
 * daemon is full or out of descriptors.  It owns the listeners and hands
 * each accepted socket to the function given to listen_init() (http.c).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-plugind.h"

#define LISTEN_RETRY	1.0	/* seconds before accepting again, after EMFILE */

struct listener {
	TAILQ_ENTRY(listener)	 ls_entry;
	int			 ls_fd;
	ev_io			 ls_io;
};
TAILQ_HEAD(listeners, listener);

static struct {
	struct ev_loop		*loop;
	listen_accept_fn	*accept;
	struct listeners	 list;
	int			 full;		/* the owner can take no more */
	int			 backoff;	/* out of descriptors: wait */
	int			 reuseport;	/* front processes share ports */
	ev_timer		 retry;		/* ends the backoff */
} listen_st;

/* Starts or stops every accept watcher to match the pause reasons. */
static void
listen_update(void)
{
	struct listener	*l;
	int		 on;

	if (listen_st.loop == NULL)
		return;
	on = !listen_st.full && !listen_st.backoff;
	TAILQ_FOREACH(l, &listen_st.list, ls_entry) {
		if (on && !ev_is_active(&l->ls_io))
			ev_io_start(listen_st.loop, &l->ls_io);
		else if (!on && ev_is_active(&l->ls_io))
			ev_io_stop(listen_st.loop, &l->ls_io);
	}
}

static void
listen_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	listen_st.backoff = 0;
	listen_update();
}

static void
listen_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	int	 fd;

	(void)revents;
	while (!listen_st.full && !listen_st.backoff) {
		fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
#if EAGAIN != EWOULDBLOCK
			case EWOULDBLOCK:
#endif
				return;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				log_warn("http: accept");
				listen_st.backoff = 1;
				listen_update();
				ev_timer_stop(loop, &listen_st.retry);
				ev_timer_set(&listen_st.retry, LISTEN_RETRY, 0.);
				ev_timer_start(loop, &listen_st.retry);
				return;
			default:
				log_warn("http: accept");
				return;
			}
		}
		if (listen_st.accept(fd) == -1) {
			log_warnx("http: out of memory for a connection");
			close(fd);
		}
	}
}

void
listen_init(struct ev_loop *loop, listen_accept_fn *accept_fn)
{
	listen_st.loop = loop;
	listen_st.accept = accept_fn;
	TAILQ_INIT(&listen_st.list);
	listen_st.full = listen_st.backoff = 0;
	ev_init(&listen_st.retry, listen_retry_cb);
}

/* The owner is full (1) or can take connections again (0). */
void
listen_set_full(int full)
{
	if (listen_st.full == full)
		return;
	listen_st.full = full;
	listen_update();
}

/* Splits "host:port", "[v6]:port" or ":port"; host NULL means any. */
static int
listen_split_addr(const char *addr, char *host, size_t hostlen,
    const char **port)
{
	const char	*colon, *end;
	size_t		 n;

	if (addr[0] == '[') {
		if ((end = strchr(addr, ']')) == NULL || end[1] != ':')
			return -1;
		addr++;
		colon = end + 1;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL)
			return -1;
		end = colon;
	}
	n = (size_t)(end - addr);
	if (n >= hostlen || colon[1] == '\0')
		return -1;
	memcpy(host, addr, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

static void
listen_addr_str(const struct sockaddr *sa, socklen_t salen, char *out,
    size_t outlen)
{
	char	 host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", host, serv);
	else
		snprintf(out, outlen, "%s:%s", host, serv);
}

static int
listen_listener_add(int fd)
{
	struct listener	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	l->ls_fd = fd;
	ev_io_init(&l->ls_io, listen_accept_cb, fd, EV_READ);
	l->ls_io.data = l;
	TAILQ_INSERT_TAIL(&listen_st.list, l, ls_entry);
	listen_update();
	return 0;
}

/* Binds one resolved address; returns the fd or -1 with errno set. */
static int
listen_bind_one(struct addrinfo *ai, int several)
{
	int	 fd, one = 1, saved;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	if (listen_st.reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
		goto fail;
	if (ai->ai_family == AF_INET6 && several &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1)
		goto fail;
	return fd;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Sets the port of a resolved address (to reuse a port the kernel chose). */
static void
listen_set_port(struct addrinfo *ai, in_port_t port)
{
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)(void *)ai->ai_addr)->sin_port = port;
	else if (ai->ai_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_port = port;
}

/* Listens on every address "host:port" resolves to (port 0: one port). */
int
listen_add(const char *addr, char *err, size_t errlen)
{
	struct addrinfo		 hints, *res = NULL, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 host[256], name[NI_MAXHOST + NI_MAXSERV + 4];
	const char		*port;
	in_port_t		 chosen = 0;
	int			 fd, rc, nbound = 0, saved = 0, several;

	if (listen_st.loop == NULL) {
		snprintf(err, errlen, "listen_add before listen_init");
		return -1;
	}
	if (listen_split_addr(addr, host, sizeof(host), &port) == -1) {
		snprintf(err, errlen, "%s: expected host:port", addr);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] == '\0' || strcmp(host, "*") == 0 ? NULL :
	    host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	several = res != NULL && res->ai_next != NULL;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (chosen != 0)
			listen_set_port(ai, chosen);
		if ((fd = listen_bind_one(ai, several)) == -1) {
			saved = errno;
			continue;
		}
		sslen = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
		    listen_listener_add(fd) == -1) {
			saved = errno;
			close(fd);
			continue;
		}
		if (ss.ss_family == AF_INET)
			chosen = ((struct sockaddr_in *)&ss)->sin_port;
		else if (ss.ss_family == AF_INET6)
			chosen = ((struct sockaddr_in6 *)&ss)->sin6_port;
		listen_addr_str((struct sockaddr *)&ss, sslen, name,
		    sizeof(name));
		log_info("listening on %s", name);
		nbound++;
	}
	freeaddrinfo(res);
	if (nbound == 0) {
		snprintf(err, errlen, "%s: %s", addr,
		    strerror(saved ? saved : EADDRNOTAVAIL));
		return -1;
	}
	return 0;
}

/* Listeners get SO_REUSEPORT, so that front processes share their ports. */
void
listen_set_reuseport(int on)
{
	listen_st.reuseport = on;
}

/* The bound addresses as "host:port" (ports resolved), NULL-terminated. */
char **
listen_names(void)
{
	struct listener		*l;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			**names, name[NI_MAXHOST + NI_MAXSERV + 4];
	size_t			 n = 0;

	TAILQ_FOREACH(l, &listen_st.list, ls_entry)
		n++;
	if ((names = calloc(n + 1, sizeof(*names))) == NULL)
		return NULL;
	n = 0;
	TAILQ_FOREACH(l, &listen_st.list, ls_entry) {
		sslen = sizeof(ss);
		if (getsockname(l->ls_fd, (struct sockaddr *)&ss, &sslen) ==
		    -1)
			continue;
		listen_addr_str((struct sockaddr *)&ss, sslen, name,
		    sizeof(name));
		if ((names[n] = strdup(name)) != NULL)
			n++;
	}
	return names;
}

/* Closes every listener (a front supervisor's hand-off, or the drain). */
void
listen_close(void)
{
	struct listener	*l;

	if (listen_st.loop == NULL)
		return;
	while ((l = TAILQ_FIRST(&listen_st.list)) != NULL) {
		ev_io_stop(listen_st.loop, &l->ls_io);
		close(l->ls_fd);
		TAILQ_REMOVE(&listen_st.list, l, ls_entry);
		free(l);
	}
	ev_timer_stop(listen_st.loop, &listen_st.retry);
	listen_st.backoff = 0;
}
