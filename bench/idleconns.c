/*
 * Opens N keep-alive connections to HOST:PORT, sends one GET /healthz on
 * each and reads its answer, then keeps them all open and idle until its
 * standard input closes.  It prints "open N" once they are, so that the
 * benchmark can measure the daemon's memory per idle connection.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IDLE_REQUEST	"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"

static int	idle_open(const struct sockaddr_in *);

/* One connection that has sent its request and read the answer, or -1. */
static int
idle_open(const struct sockaddr_in *sin)
{
	struct timeval	 tv = { 5, 0 };
	char		 buf[1024];
	ssize_t		 n;
	int		 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    write(fd, IDLE_REQUEST, strlen(IDLE_REQUEST)) !=
	    (ssize_t)strlen(IDLE_REQUEST))
		goto fail;
	if ((n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		goto fail;
	buf[n] = '\0';
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	char			 c;
	int			 i, n, ok = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: idleconns HOST PORT N\n");
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	n = atoi(argv[3]);
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1 || n < 1) {
		fprintf(stderr, "idleconns: bad address or count\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (idle_open(&sin) == -1) {
			fprintf(stderr, "idleconns: connection %d: %s\n", i,
			    strerror(errno));
			break;
		}
		ok++;
	}
	printf("open %d\n", ok);
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	return ok == n ? 0 : 1;
}
