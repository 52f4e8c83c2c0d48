/*
 * idle: open N keep-alive HTTP connections to a server and hold them idle.
 *
 *	idle HOST PORT N SECONDS [PATH]
 *
 * Each connection sends one complete "GET PATH HTTP/1.1" (default /healthz)
 * and reads the whole response, so that the server has accepted it, served
 * it and now keeps it open waiting for the next request: the state of a
 * browser's idle connection.  Then "ready N" is printed on stdout and the
 * connections are held for SECONDS (or until SIGTERM/SIGINT).  At the end,
 * "held N closed K" says how many the server closed meanwhile.
 *
 * Exit 0 when every connection got a 2xx answer and stayed open, 1 otherwise.
 * Built by bench/run.sh with cc; not part of the server.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t	 stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long
number(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		fprintf(stderr, "idle: bad %s '%s'\n", what, s);
		exit(2);
	}
	return (n);
}

/* Room for N sockets: the soft limit is often 1024. */
static void
raise_nofile(long n)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur >= (rlim_t)n + 16)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)n + 16)
		fprintf(stderr, "idle: the open files limit (%llu) is below %ld\n",
		    (unsigned long long)rl.rlim_max, n + 16);
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int
dial(const struct addrinfo *ai)
{
	struct timeval	 tv = { 10, 0 };
	int		 fd, one = 1;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) == -1)
		return (-1);
	/* A server that never answers must not hang the benchmark. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
send_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Read one response: headers, then Content-Length bytes of body.  Returns
 * the status code, or -1.  Chunked bodies are not expected from the
 * endpoints this tool is pointed at.
 */
static int
read_response(int fd)
{
	char	 buf[16384], *eoh, *p;
	size_t	 have = 0, need;
	long	 clen = 0;
	ssize_t	 n;
	int	 status;

	for (;;) {
		if (have == sizeof(buf) - 1)
			return (-1);
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		have += (size_t)n;
		buf[have] = '\0';
		if ((eoh = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return (-1);
	for (p = buf; p < eoh; p++) {
		if (strncasecmp(p, "\r\nContent-Length:", 17) == 0) {
			clen = strtol(p + 17, NULL, 10);
			break;
		}
	}
	if (clen < 0)
		return (-1);
	need = (size_t)(eoh + 4 - buf) + (size_t)clen;
	while (have < need) {
		size_t	 want = need - have;

		if (want > sizeof(buf))
			want = sizeof(buf);
		n = read(fd, buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		have += (size_t)n;
	}
	return (status);
}

int
main(int argc, char *argv[])
{
	struct addrinfo		 hints, *ai;
	struct sigaction	 sa;
	struct timespec		 t0, now;
	struct pollfd		*pfd;
	char			 req[512];
	const char		*path;
	long			 n, want, secs, i, ok = 0, closed = 0;
	int			 e, *fds, reqlen;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: idle HOST PORT N SECONDS [PATH]\n");
		return (2);
	}
	number(argv[2], 1, 65535, "port");
	want = n = number(argv[3], 1, 1000000, "count");
	secs = number(argv[4], 0, 86400, "duration");
	path = argc == 6 ? argv[5] : "/healthz";
	reqlen = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: guichet-bench-idle\r\n"
	    "\r\n", path, argv[1], argv[2]);
	if (reqlen < 0 || (size_t)reqlen >= sizeof(req)) {
		fprintf(stderr, "idle: path too long\n");
		return (2);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(n);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(argv[1], argv[2], &hints, &ai)) != 0) {
		fprintf(stderr, "idle: %s: %s\n", argv[1], gai_strerror(e));
		return (2);
	}
	if ((fds = calloc((size_t)n, sizeof(*fds))) == NULL ||
	    (pfd = calloc((size_t)n, sizeof(*pfd))) == NULL) {
		perror("idle: calloc");
		return (2);
	}

	/* Connect and send everything first, then read: N requests in flight. */
	for (i = 0; i < n; i++) {
		if ((fds[i] = dial(ai)) == -1) {
			fprintf(stderr, "idle: connection %ld: %s\n", i,
			    strerror(errno));
			break;
		}
		if (send_all(fds[i], req, (size_t)reqlen) == -1) {
			fprintf(stderr, "idle: send %ld: %s\n", i,
			    strerror(errno));
			close(fds[i]);
			break;
		}
	}
	n = i;
	for (i = 0; i < n; i++) {
		int	 status = read_response(fds[i]);

		if (status >= 200 && status < 300)
			ok++;
		else if (ok == i)	/* say it once */
			fprintf(stderr, "idle: connection %ld: %s\n", i,
			    status == -1 ? "no complete response" :
			    "status not 2xx");
	}
	printf("ready %ld\n", ok);
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= secs)
			break;
		usleep(100000);
	}

	/* Closed by the server meanwhile: readable (EOF) or hung up. */
	for (i = 0; i < n; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN | POLLRDHUP;
	}
	if (n > 0 && poll(pfd, (nfds_t)n, 0) > 0) {
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				closed++;
	}
	printf("held %ld closed %ld\n", ok, closed);
	for (i = 0; i < n; i++)
		close(fds[i]);
	freeaddrinfo(ai);
	free(fds);
	free(pfd);
	return (ok == want && closed == 0 ? 0 : 1);
}
