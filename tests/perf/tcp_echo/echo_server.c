/*
 * Kernel-socket TCP echo server for the tcp_echo benchmark: one thread, one
 * epoll set, non-blocking sockets, level-triggered. Reads into a shared
 * 64 KiB buffer and writes it straight back; only what the socket does not
 * take is copied into a per-connection pending buffer (and reading from that
 * connection pauses until it drains), so an idle connection costs its
 * 24-byte struct plus the kernel socket. After the peer's FIN and once
 * everything is echoed, the connection is closed. Runs until SIGTERM/SIGINT.
 *
 * usage: echo_server ADDR PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
	int fd;
	int eof;
	char *pend; /* owned; NULL when nothing waits to be written */
	size_t len;
	size_t off;
};

static volatile sig_atomic_t stop;
static char buf[65536];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pend);
	free(c);
}

static int set_events(int ep, struct conn *c, unsigned ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = c};

	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

/* Writes what is pending. Returns 1 when drained, 0 if more is left, -1 on error. */
static int flush(struct conn *c)
{
	while (c->off < c->len) {
		ssize_t n = write(c->fd, c->pend + c->off, c->len - c->off);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->off += (size_t)n;
	}
	free(c->pend);
	c->pend = NULL;
	c->len = c->off = 0;
	return 1;
}

/* Returns -1 when c must be closed. */
static int on_readable(int ep, struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf)), w;

		if (n == 0) {
			c->eof = 1;
			return -1;
		}
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		w = write(c->fd, buf, (size_t)n);
		if (w < 0 && errno != EAGAIN)
			return -1;
		if (w < 0)
			w = 0;
		if (w < n) {
			c->len = (size_t)(n - w);
			c->off = 0;
			c->pend = malloc(c->len);
			if (c->pend == NULL)
				return -1;
			memcpy(c->pend, buf + w, c->len);
			return set_events(ep, c, EPOLLOUT);
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct epoll_event evs[256], e = {.events = EPOLLIN};
	int lfd, ep, one = 1;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: echo_server ADDR PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4096) != 0) {
		perror("echo_server: listen");
		return 1;
	}
	ep = epoll_create1(0);
	e.data.ptr = NULL;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e) != 0) {
		perror("echo_server: epoll");
		return 1;
	}
	printf("echo_server: listening on %s:%s\n", argv[1], argv[2]);
	fflush(stdout);
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 200), i;

		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int r;

			if (c == NULL) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event ce = {.events = EPOLLIN};

					c = calloc(1, sizeof(*c));
					if (c == NULL) {
						close(fd);
						continue;
					}
					c->fd = fd;
					ce.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce) != 0) {
						close(fd);
						free(c);
					}
				}
				continue;
			}
			if (c->pend != NULL) {
				r = flush(c);
				if (r < 0 || (r == 1 && set_events(ep, c, EPOLLIN) != 0)) {
					conn_close(ep, c);
					continue;
				}
				if (r == 0)
					continue;
			}
			if (on_readable(ep, c) < 0) {
				/* An error, or the FIN with nothing left to write. */
				conn_close(ep, c);
			}
		}
	}
	close(ep);
	close(lfd);
	return 0;
}
