/*
 * live_idle: hold N live streams (GET /api/v1/live) open and idle, then
 * measure how long one change takes to reach all of them.
 *
 *	live_idle HOST PORT N COMMAND
 *
 * Opens N connections, each "GET /api/v1/live?events=lift" read until
 * its first frame ("retry:"), so that the server holds N idle streams;
 * prints "ready N" on stdout and waits two seconds (for the server's RSS
 * to be sampled meanwhile by bench/run.sh, which waits for "ready").
 * Then runs COMMAND (sh -c: a change of a lift's status through the
 * database, as the API would make it) and waits up to 10 s for the event
 * "lift" on every stream.  Prints:
 *	streams N received K p50 X ms p99 Y ms max Z ms
 * latencies from just before COMMAND ran to each stream's event.
 *
 * Exit 0 when every stream got the event, 1 otherwise.  Built by
 * bench/run.sh with cc; not part of the server.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct stream {
	int	 fd;
	int	 ready;		/* got its first frame */
	int	 got;		/* got the event */
	double	 ms;		/* when, after the change */
	char	 tail[32];	/* the last bytes, for a needle across reads */
};

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6);
}

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/* Read what 's' has; 1 when 'needle' came (across reads), -1 on EOF. */
static int
feed(struct stream *s, const char *needle)
{
	char	 buf[4096 + sizeof(s->tail)];
	size_t	 t, total, keep, nl = strlen(needle);
	ssize_t	 n;
	int	 found = 0;

	for (;;) {
		t = strlen(s->tail);
		memcpy(buf, s->tail, t);
		n = read(s->fd, buf + t, 4096);
		if (n == 0)
			return (-1);
		if (n < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK ?
			    found : -1);
		total = t + (size_t)n;
		if (memmem(buf, total, needle, nl) != NULL)
			found = 1;
		keep = total < sizeof(s->tail) - 1 ? total :
		    sizeof(s->tail) - 1;
		memcpy(s->tail, buf + total - keep, keep);
		s->tail[keep] = '\0';
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	struct epoll_event	 ev, evs[256];
	struct rlimit		 rl;
	struct stream		*ss;
	const char		*req = "GET /api/v1/live?events=lift HTTP/1.1\r\n"
				    "Host: bench\r\nAccept: text/event-stream"
				    "\r\n\r\n";
	double			 t0, *lat, deadline;
	long			 n, i, ready = 0, got = 0;
	int			 ep, k, r, one = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: live_idle HOST PORT N COMMAND\n");
		return (2);
	}
	n = strtol(argv[3], NULL, 10);
	if (n < 1 || n > 100000)
		return (2);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		return (2);
	ss = calloc((size_t)n, sizeof(*ss));
	lat = calloc((size_t)n, sizeof(*lat));
	ep = epoll_create1(0);
	for (i = 0; i < n; i++) {
		if ((ss[i].fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(ss[i].fd, (struct sockaddr *)&sin, sizeof(sin)) ==
		    -1 || write(ss[i].fd, req, strlen(req)) !=
		    (ssize_t)strlen(req)) {
			fprintf(stderr, "live_idle: stream %ld: %s\n", i,
			    strerror(errno));
			return (1);
		}
		setsockopt(ss[i].fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, ss[i].fd, &ev);
		/* Nonblocking reads from here on. */
		fcntl(ss[i].fd, F_SETFL, fcntl(ss[i].fd, F_GETFL) | O_NONBLOCK);
	}
	deadline = now_ms() + 60000;
	while (ready < n && now_ms() < deadline) {
		k = epoll_wait(ep, evs, 256, 1000);
		for (r = 0; r < k; r++) {
			i = (long)evs[r].data.u64;
			if (ss[i].ready)
				continue;
			if (feed(&ss[i], "retry:") == 1) {
				ss[i].ready = 1;
				ready++;
			}
		}
	}
	printf("ready %ld\n", ready);
	fflush(stdout);
	if (ready < n)
		return (1);
	sleep(2);
	t0 = now_ms();
	if (system(argv[4]) != 0)
		fprintf(stderr, "live_idle: the command failed\n");
	deadline = t0 + 10000;
	while (got < n && now_ms() < deadline) {
		k = epoll_wait(ep, evs, 256, 100);
		for (r = 0; r < k; r++) {
			i = (long)evs[r].data.u64;
			if (ss[i].got)
				continue;
			if (feed(&ss[i], "event: lift") == 1) {
				ss[i].got = 1;
				ss[i].ms = now_ms() - t0;
				lat[got++] = ss[i].ms;
			}
		}
	}
	qsort(lat, (size_t)got, sizeof(*lat), cmp);
	printf("streams %ld received %ld p50 %.1f ms p99 %.1f ms max %.1f ms\n",
	    n, got, got ? lat[got / 2] : 0.0,
	    got ? lat[(long)((double)got * 0.99) < got ?
	    (long)((double)got * 0.99) : got - 1] : 0.0,
	    got ? lat[got - 1] : 0.0);
	return (got == n ? 0 : 1);
}
