#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/inseg.h"
#include "dataplane/srccap.h"
#include "drivers/kernel.h"

/*
 * Output pause watermarks: above OUT_HIGH bytes of unsent replies the
 * connection's input is not taken until they drain below OUT_LOW. High
 * enough that a client writing a long pipeline before reading any reply
 * (Redis's own PIPELINING stresser: ~4.5 MB of replies) completes; bounded,
 * so a slow reader costs at most this much output memory.
 */
#define OUT_HIGH     (16 * 1024 * 1024)
#define OUT_LOW      (4 * 1024 * 1024)
#define MAX_EVENTS   64
#define READS_PER_EV 4
#define TICK_MS      10
#define PRESS_MS     200 /* see sweep_clients */

struct kconn {
	int fd;
	bool closing;           /* send what is queued, then close */
	bool paused;            /* input not read: output over the high watermark */
	bool want_out;          /* EPOLLOUT registered */
	bool no_pause;          /* writes before it reads: not paused until it reads */
	bool counted;           /* admitted in the per-source caps (conf.srccap) */
	uint32_t rip;           /* peer address, host order */
	uint64_t drained_ms;    /* the client last took reply bytes */
	uint64_t soft_since_ms; /* output above the soft limit since; 0 = not */
	struct sl_inseg *rbuf;
	struct sl_inseg *held; /* segments an unfinished request still points into */
	struct kconn *prev, *next;
	struct sl_client client;
};

struct kworker {
	pthread_t thread;
	unsigned self;
	int epfd;
	int lfd;
	int efd; /* workers > 1: eventfd another worker writes after shipping here */
	struct sl_kernel *k;
	struct kconn *conns;
	uint64_t obuf_sweep_ms;     /* last check of every connection's output limits */
	struct sl_inseg_cache segs; /* free input segments */
	struct sl_engine eng;
} __attribute__((aligned(64)));

struct sl_kernel {
	struct sl_kernel_conf conf;
	atomic_int stop;
	atomic_uint nclients;
	atomic_ullong rejected;        /* maxclients */
	atomic_ullong source_rejected; /* maxclients-per-source and prefix caps */
	atomic_ullong evicted;         /* maxmemory-clients */
	atomic_ullong obuf_disconnections;
	unsigned started;
	struct kworker *w;
	struct sl_mesh *mesh; /* workers > 1 */
};

/* epoll data of a worker's eventfd (the listener's is NULL, a connection's its kconn). */
static char wake_tag;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void conn_close(struct kworker *w, struct kconn *c)
{
	atomic_fetch_sub(&w->k->nclients, 1);
	if (c->counted)
		sl_srccap_release(w->k->conf.srccap, c->rip);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	sl_client_deinit(&c->client);
	if (c->rbuf != NULL)
		sl_inseg_put(&w->segs, c->rbuf);
	sl_inseg_put_list(&w->segs, c->held);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c);
}

static void update_events(struct kworker *w, struct kconn *c)
{
	struct epoll_event ev = {0};

	ev.data.ptr = c;
	ev.events = (c->paused || c->closing || sl_client_waiting(&c->client) ? 0 : EPOLLIN) |
		    (c->want_out ? EPOLLOUT : 0);
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what the reply chain holds. Returns -1 if the connection was closed. */
static int conn_flush(struct kworker *w, struct kconn *c)
{
	struct sl_resp_out *o = &c->client.out;
	bool want_out = false, paused;

	if (sl_client_obuf_over(&c->client, w->eng.now_ms, &c->soft_since_ms)) {
		atomic_fetch_add(&w->k->obuf_disconnections, 1);
		conn_close(w, c);
		return -1;
	}

	while (sl_resp_out_pending(o) > 0) {
		struct iovec iov[64];
		size_t n = sl_resp_out_peek(o, iov, 64);
		ssize_t sent;

		if (n == 0)
			break; /* a deferred header not filled in yet */
		sent = writev(c->fd, iov, (int)n);
		if (sent == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				want_out = true;
				break;
			}
			if (errno == EINTR)
				continue;
			conn_close(w, c);
			return -1;
		}
		sl_resp_out_consume(o, (size_t)sent);
		if (sent > 0) {
			c->drained_ms = w->eng.now_ms;
			c->no_pause = false;
		}
	}
	if (c->closing && sl_resp_out_pending(o) == 0 && !sl_client_waiting(&c->client)) {
		conn_close(w, c);
		return -1;
	}
	paused = c->paused ? sl_resp_out_pending(o) > OUT_LOW
			   : !c->no_pause && sl_resp_out_pending(o) > OUT_HIGH;
	if (want_out != c->want_out || paused != c->paused) {
		c->want_out = want_out;
		c->paused = paused;
		update_events(w, c);
	}
	return 0;
}

/*
 * CLIENT KILL by `self` flagged other clients of this worker: close each at
 * once, discarding its unsent output, as Redis does.
 */
static void close_killed(struct kworker *w, struct kconn *self)
{
	struct sl_client *k;

	while ((k = sl_engine_next_killed(&w->eng)) != NULL) {
		struct kconn *victim = (struct kconn *)((char *)k - offsetof(struct kconn, client));

		if (victim != self)
			conn_close(w, victim);
	}
}

/* Reads and runs what the socket has. Returns -1 if the connection was closed. */
static int conn_read(struct kworker *w, struct kconn *c, uint64_t now)
{
	int i;

	for (i = 0; i < READS_PER_EV && !c->paused && !c->closing && !sl_client_waiting(&c->client);
	     i++) {
		ssize_t n;
		bool held;
		int rc;

		if (c->rbuf == NULL) {
			c->rbuf = sl_inseg_get(&w->segs);
			if (c->rbuf == NULL) {
				conn_close(w, c);
				return -1;
			}
		}
		n = read(c->fd, c->rbuf->data, SL_INSEG_SIZE);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			conn_close(w, c);
			return -1;
		}
		if (n == -1)
			break;
		rc = sl_client_input(&c->client, c->rbuf->data, (size_t)n, now, &held);
		close_killed(w, c);
		if (held) {
			c->rbuf->next = c->held;
			c->held = c->rbuf;
			c->rbuf = NULL;
		} else if (c->held != NULL) {
			sl_inseg_put_list(&w->segs, c->held);
			c->held = NULL;
		}
		if (rc != 0) {
			if (c->client.flags & SL_CLIENT_CLOSE_NOW) {
				conn_close(w, c);
				return -1;
			}
			c->closing = true;
			update_events(w, c);
		}
		if (conn_flush(w, c) != 0)
			return -1;
		if (sl_client_waiting(&c->client)) {
			update_events(w, c); /* no EPOLLIN until the owner answers */
			break;
		}
		if ((size_t)n < SL_INSEG_SIZE)
			break;
	}
	if (c->rbuf != NULL) {
		/* Nothing points into it: an idle connection holds no input buffer. */
		sl_inseg_put(&w->segs, c->rbuf);
		c->rbuf = NULL;
	}
	return 0;
}

/* c's shipped command is answered: run the input behind it, send, listen again. */
static void conn_resume(struct kworker *w, struct kconn *c, uint64_t now)
{
	int rc = sl_client_resume(&c->client, now);

	close_killed(w, c);
	if (rc != 0) {
		if (c->client.flags & SL_CLIENT_CLOSE_NOW) {
			conn_close(w, c);
			return;
		}
		c->closing = true;
	}
	if (conn_flush(w, c) != 0)
		return;
	update_events(w, c);
}

/*
 * A client's memory as maxmemory-clients counts it (as the DPDK path's
 * conn_mem): its connection and client structures, unsent replies, the
 * pending input the engine keeps and the input segments it holds. Bytes
 * queued in the kernel's socket buffers are not ours and not counted.
 */
static uint64_t conn_mem(const struct kconn *c)
{
	return sizeof(*c) + sl_resp_out_mem(&c->client.out) + c->client.pend_len +
	       (c->rbuf != NULL ? sizeof(*c->rbuf) : 0) + sl_inseg_list_bytes(c->held);
}

static uint64_t client_mem(const struct sl_client *k)
{
	return conn_mem(sl_container_of(k, const struct kconn, client));
}

/*
 * Closes c at once with a reset (SO_LINGER 0): its unsent replies, in our
 * chain and in the socket's send buffer, are dropped, as the DPDK path's
 * abort does.
 */
static void conn_reset(struct kworker *w, struct kconn *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_close(w, c);
}

/*
 * Redis's clientsCron, every SL_CLIENT_OBUF_SWEEP_MS: the output limits of
 * every client (one that stopped reading gets no more flushes, so its soft
 * limit would never fire otherwise), then maxmemory-clients: while this
 * worker's clients hold more than its share (the limit / workers), the
 * client holding the most (not CLIENT NO-EVICT) is evicted, as Redis's
 * evictClients does.
 */
static void sweep_clients(struct kworker *w, uint64_t now)
{
	struct sl_engine_shared *sh = w->k->conf.shared;
	uint64_t limit = sh->maxmemory_clients, total = 0;
	struct kconn *c, *next;

	w->obuf_sweep_ms = now;
	for (c = w->conns; c != NULL; c = next) {
		int unread = 0;

		next = c->next;
		if (sl_client_obuf_over(&c->client, now, &c->soft_since_ms)) {
			atomic_fetch_add(&w->k->obuf_disconnections, 1);
			conn_close(w, c);
			continue;
		}
		/* A paused client that has taken no reply for PRESS_MS but keeps sending
		 * writes everything before it reads (Redis's PIPELINING stresser with big
		 * values): holding its input would deadlock both sides, so take it, as
		 * Redis does; only client-output-buffer-limit (and the engine's cap per
		 * input call) bounds it then. It is paused again once it reads. */
		if (c->paused && now - c->drained_ms >= PRESS_MS &&
		    ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0) {
			c->paused = false;
			c->no_pause = true;
			update_events(w, c);
		}
		total += conn_mem(c);
	}
	if (limit == 0)
		return;
	limit /= w->k->conf.workers;
	while (total > limit) {
		uint64_t most;
		struct sl_client *k = sl_engine_evict_candidate(&w->eng, client_mem, &most);
		struct kconn *big;

		if (k == NULL)
			return;
		big = sl_container_of(k, struct kconn, client);
		total -= most;
		atomic_fetch_add_explicit(&w->k->evicted, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&sh->evicted_clients, 1, memory_order_relaxed);
		conn_reset(w, big);
	}
}

static void wake_worker(void *ctx)
{
	struct kworker *w = ctx;
	uint64_t one = 1;

	if (write(w->efd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the worker is woken anyway */
	}
}

static void accept_all(struct kworker *w, uint64_t now)
{
	for (;;) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		struct epoll_event ev = {0};
		struct kconn *c;
		uint32_t rip;
		int one = 1;
		int fd = accept4(w->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1)
			return;
		if (w->k->conf.shared->maxclients != 0 &&
		    atomic_load(&w->k->nclients) >= w->k->conf.shared->maxclients) {
			/* Redis's answer (networking.c acceptCommonHandler), then close. */
			static const char msg[] = "-ERR max number of clients reached\r\n";

			if (write(fd, msg, sizeof(msg) - 1) < 0) {
				/* the client is gone already; nothing to tell it */
			}
			close(fd);
			atomic_fetch_add(&w->k->rejected, 1);
			atomic_fetch_add_explicit(&w->k->conf.shared->rejected_connections, 1,
						  memory_order_relaxed);
			continue;
		}
		if (w->k->conf.protected_mode && w->k->conf.shared->requirepass_len == 0 &&
		    (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
			/* Redis's protected mode: without a password, loopback clients only. */
			static const char msg[] =
				"-DENIED sluice is running in protected mode because protected "
				"mode "
				"is enabled and no password is set for the default user. In this "
				"mode "
				"connections are only accepted from the loopback interface. Set a "
				"password with 'requirepass', or start with '--protected-mode no' "
				"if "
				"the network is trusted.\r\n";

			if (write(fd, msg, sizeof(msg) - 1) < 0) {
				/* the client is gone already */
			}
			close(fd);
			continue;
		}
		rip = ntohl(sa.sin_addr.s_addr);
		if (w->k->conf.srccap != NULL && !sl_srccap_admit(w->k->conf.srccap, rip)) {
			/* The source is at its cap: the same answer as maxclients. */
			static const char msg[] = "-ERR max number of clients reached\r\n";

			if (write(fd, msg, sizeof(msg) - 1) < 0) {
				/* the client is gone already */
			}
			close(fd);
			atomic_fetch_add(&w->k->source_rejected, 1);
			atomic_fetch_add_explicit(&w->k->conf.shared->rejected_connections, 1,
						  memory_order_relaxed);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			if (w->k->conf.srccap != NULL)
				sl_srccap_release(w->k->conf.srccap, rip);
			close(fd);
			continue;
		}
		c->rip = rip;
		c->counted = w->k->conf.srccap != NULL;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->drained_ms = now;
		atomic_fetch_add(&w->k->nclients, 1);
		sl_client_init(&c->client, &w->eng, NULL, now);
		{
			struct sockaddr_in la;
			socklen_t ll = sizeof(la);

			/* Without the local address CLIENT LIST prints laddr= empty and fd=-1. */
			if (getsockname(fd, (struct sockaddr *)&la, &ll) == 0)
				sl_client_set_ipv4(&c->client, ntohl(sa.sin_addr.s_addr),
						   ntohs(sa.sin_port), ntohl(la.sin_addr.s_addr),
						   ntohs(la.sin_port), fd);
			else
				sl_client_set_ipv4(&c->client, ntohl(sa.sin_addr.s_addr),
						   ntohs(sa.sin_port), 0, 0, -1);
		}
		c->next = w->conns;
		if (w->conns != NULL)
			w->conns->prev = c;
		w->conns = c;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
			conn_close(w, c);
	}
}

static void *worker_main(void *arg)
{
	struct kworker *w = arg;
	struct sl_store *store = w->k->conf.store;
	struct epoll_event evs[MAX_EVENTS];

	sl_store_reader_online(store, w->self);
	while (atomic_load_explicit(&w->k->stop, memory_order_relaxed) == 0) {
		int n = epoll_wait(w->epfd, evs, MAX_EVENTS, TICK_MS), i;
		uint64_t now = now_ms();

		for (i = 0; i < n; i++) {
			struct kconn *c = evs[i].data.ptr;

			if (c == NULL) {
				accept_all(w, now);
				continue;
			}
			if ((void *)c == &wake_tag) {
				uint64_t v;

				if (read(w->efd, &v, sizeof(v)) < 0) {
					/* nothing pending: another read took it */
				}
				continue;
			}
			if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN)) {
				conn_close(w, c);
				continue;
			}
			if ((evs[i].events & EPOLLOUT) && conn_flush(w, c) != 0)
				continue;
			if (evs[i].events & EPOLLIN)
				conn_read(w, c, now);
		}
		if (w->k->mesh != NULL) {
			struct sl_client *ready[64];
			unsigned r, nr = sl_engine_poll(&w->eng, now, ready, 64);

			for (r = 0; r < nr; r++)
				conn_resume(w,
					    (struct kconn *)((char *)ready[r] -
							     offsetof(struct kconn, client)),
					    now);
			if (nr == 64)
				wake_worker(w); /* more may be waiting: come back at once */
		}
		if (now - w->obuf_sweep_ms >= SL_CLIENT_OBUF_SWEEP_MS)
			sweep_clients(w, now);
		/* Borrowed store views are not held across iterations. */
		sl_store_quiescent(store, w->self);
		sl_store_maintain(store, w->self, now);
	}
	while (w->conns != NULL)
		conn_close(w, w->conns);
	sl_inseg_cache_clear(&w->segs);
	sl_store_reader_offline(store, w->self);
	return NULL;
}

static int listen_on(const struct sl_kernel_conf *conf, char *err, size_t errlen)
{
	struct sockaddr_in sa = {0};
	char ip[INET_ADDRSTRLEN];
	int one = 1, e;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(conf->port);
	sa.sin_addr.s_addr = conf->bind_addr;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 511) == -1)
		goto fail;
	return fd;
fail:
	e = errno;
	inet_ntop(AF_INET, &conf->bind_addr, ip, sizeof(ip));
	snprintf(err, errlen, "cannot listen on %s:%u: %s", ip, conf->port, strerror(e));
	if (fd != -1)
		close(fd);
	errno = e;
	return -1;
}

struct sl_kernel *sl_kernel_start(const struct sl_kernel_conf *conf, char *err, size_t errlen)
{
	struct sl_kernel *k = calloc(1, sizeof(*k));
	unsigned i;
	int e;

	if (k == NULL)
		return NULL;
	k->conf = *conf;
	atomic_init(&k->stop, 0);
	k->w = aligned_alloc(64, sizeof(*k->w) * conf->workers);
	if (k->w == NULL)
		goto nomem;
	memset(k->w, 0, sizeof(*k->w) * conf->workers);
	if (conf->workers > 1) {
		k->mesh = sl_mesh_create(conf->workers, 1024);
		if (k->mesh == NULL)
			goto nomem;
	}
	for (i = 0; i < conf->workers; i++) {
		struct kworker *w = &k->w[i];
		struct epoll_event ev = {0};

		w->self = i;
		w->k = k;
		w->epfd = -1;
		w->efd = -1;
		w->lfd = listen_on(conf, err, errlen);
		if (w->lfd == -1)
			goto fail;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		ev.events = EPOLLIN;
		ev.data.ptr = NULL; /* the listener */
		if (w->epfd == -1 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd, &ev) == -1) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			goto fail;
		}
		if (sl_engine_init(&w->eng, conf->store, i, conf->shared) != 0)
			goto nomem;
		if (k->mesh != NULL) {
			w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			ev.events = EPOLLIN;
			ev.data.ptr = &wake_tag;
			if (w->efd == -1 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->efd, &ev) == -1) {
				snprintf(err, errlen, "eventfd: %s", strerror(errno));
				goto fail;
			}
			if (sl_engine_attach_mesh(&w->eng, k->mesh) != 0)
				goto nomem;
			sl_mesh_set_wake(k->mesh, i, wake_worker, w);
		}
	}
	for (i = 0; i < conf->workers; i++) {
		e = pthread_create(&k->w[i].thread, NULL, worker_main, &k->w[i]);
		if (e != 0) {
			snprintf(err, errlen, "cannot start worker thread: %s", strerror(e));
			errno = e;
			goto fail;
		}
		k->started++;
	}
	return k;
nomem:
	snprintf(err, errlen, "out of memory");
	errno = ENOMEM;
fail:
	e = errno;
	sl_kernel_stop(&k);
	errno = e;
	return NULL;
}

void sl_kernel_stop(struct sl_kernel **kp)
{
	struct sl_kernel *k = *kp;
	unsigned i;

	if (k == NULL)
		return;
	atomic_store(&k->stop, 1);
	for (i = 0; i < k->started; i++)
		pthread_join(k->w[i].thread, NULL);
	for (i = 0; k->w != NULL && i < k->conf.workers; i++) {
		if (k->w[i].lfd > 0)
			close(k->w[i].lfd);
		if (k->w[i].epfd > 0)
			close(k->w[i].epfd);
		if (k->w[i].efd > 0)
			close(k->w[i].efd);
		sl_engine_deinit(&k->w[i].eng);
	}
	sl_mesh_destroy(&k->mesh);
	free(k->w);
	free(k);
	*kp = NULL;
}

void sl_kernel_limits_get(const struct sl_kernel *k, struct sl_kernel_limits *out)
{
	out->rejected = atomic_load_explicit(&k->rejected, memory_order_relaxed);
	out->source_rejected = atomic_load_explicit(&k->source_rejected, memory_order_relaxed);
	out->evicted = atomic_load_explicit(&k->evicted, memory_order_relaxed);
}

void sl_kernel_stats(const struct sl_kernel *k, struct sl_engine_stats *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < k->conf.workers; i++) {
		const struct sl_engine_stats *s = &k->w[i].eng.stats;

		out->connected_clients += s->connected_clients;
		out->commands += s->commands;
		out->connections_received += s->connections_received;
		out->rejected_protocol += s->rejected_protocol;
		out->unknown_commands += s->unknown_commands;
		out->keyspace_hits += s->keyspace_hits;
		out->keyspace_misses += s->keyspace_misses;
	}
}
