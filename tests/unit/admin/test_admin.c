/*
 * Unit tests for the admin socket (control/admin.c), the worker mailbox it
 * uses (dataplane/worker.c) and AUTH failure limiting (dataplane/cmd).
 * Expected replies are Redis's texts and RESP encodings, written out here.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/admin.h"
#include "dataplane/worker.h"

#define NOW_MS 1700000000000ull

/* ---- helpers ---- */

/* Everything pending in o, as a NUL-terminated string (consumed). */
static char *drain(struct sl_resp_out *o)
{
	size_t len = 0;
	char *s = malloc(sl_resp_out_pending(o) + 1);
	struct iovec iov[16];
	size_t n, i;

	assert_non_null(s);
	while ((n = sl_resp_out_peek(o, iov, 16)) > 0) {
		size_t done = 0;

		for (i = 0; i < n; i++) {
			memcpy(s + len, iov[i].iov_base, iov[i].iov_len);
			len += iov[i].iov_len;
			done += iov[i].iov_len;
		}
		sl_resp_out_consume(o, done);
	}
	s[len] = '\0';
	return s;
}

static uint32_t to_args(char *line, struct sl_resp_arg *argv, uint32_t max)
{
	uint32_t n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(line, " ", &save); t != NULL && n < max; t = strtok_r(NULL, " ", &save)) {
		argv[n].ptr = t;
		argv[n].len = strlen(t);
		argv[n].flags = 0;
		n++;
	}
	return n;
}

/* Runs one space-separated request through sl_admin_execute; returns the reply. */
static char *exec(struct sl_admin *a, const char *req)
{
	struct sl_resp_arg argv[8];
	struct sl_resp_out out;
	char line[256];
	char *r;
	uint32_t argc;

	snprintf(line, sizeof(line), "%s", req);
	argc = to_args(line, argv, 8);
	sl_resp_out_init(&out, NULL);
	sl_admin_execute(a, argv, argc, &out);
	r = drain(&out);
	sl_resp_out_deinit(&out);
	return r;
}

static void expect_reply(struct sl_admin *a, const char *req, const char *want)
{
	char *got = exec(a, req);

	if (strcmp(got, want) != 0)
		fail_msg("%s: expected \"%s\", got \"%s\"", req, want, got);
	free(got);
}

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sl_admin_test.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	assert_int_equal(system(cmd), 0);
}

/* ---- the mailbox ---- */

struct player {
	struct sl_worker *w;
	atomic_int stop;
	pthread_t thread;
};

static void *play_worker(void *arg)
{
	struct player *p = arg;

	while (!p->stop)
		sl_worker_mbox_service(p->w);
	return NULL;
}

static void start_player(struct player *p, struct sl_worker *w)
{
	p->w = w;
	p->stop = 0;
	assert_int_equal(pthread_create(&p->thread, NULL, play_worker, p), 0);
}

static void stop_player(struct player *p)
{
	p->stop = 1;
	pthread_join(p->thread, NULL);
}

/* Zeroed memory on a cache line, as the structs' alignment asks. */
static void *zalloc64(size_t size)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 64, size), 0);
	memset(p, 0, size);
	return p;
}

static struct sl_worker *new_worker(void)
{
	return zalloc64(sizeof(struct sl_worker));
}

struct probe {
	pthread_t ran_on;
	int runs;
	atomic_int hold; /* non-zero: spin (a stuck worker) */
};

static void probe_fn(struct sl_worker *w, void *arg)
{
	struct probe *p = arg;

	(void)w;
	p->ran_on = pthread_self();
	p->runs++;
	while (p->hold)
		;
}

static void test_mailbox_runs_on_worker(void **state)
{
	struct sl_worker *w = new_worker();
	struct player pl;
	struct probe pr = {0};

	(void)state;
	start_player(&pl, w);
	assert_int_equal(sl_worker_call(w, probe_fn, &pr, 2000), 0);
	assert_int_equal(pr.runs, 1);
	assert_true(pthread_equal(pr.ran_on, pl.thread));
	assert_int_equal(sl_worker_call(w, probe_fn, &pr, 2000), 0);
	assert_int_equal(pr.runs, 2);
	stop_player(&pl);
	free(w);
}

static void test_mailbox_timeout_withdraws(void **state)
{
	struct sl_worker *w = new_worker();
	struct probe pr = {0};

	(void)state;
	/* Nobody services the mailbox: the request times out and is withdrawn. */
	assert_int_equal(sl_worker_call(w, probe_fn, &pr, 5), -ETIMEDOUT);
	sl_worker_mbox_service(w);
	assert_int_equal(pr.runs, 0);
	assert_int_equal(atomic_load(&w->mbox.state), SL_WORKER_MBOX_IDLE);
	free(w);
}

static void test_mailbox_stuck_worker(void **state)
{
	struct sl_worker *w = new_worker();
	struct player pl;
	struct probe pr = {0}, other = {0};

	(void)state;
	pr.hold = 1;
	start_player(&pl, w);
	assert_int_equal(sl_worker_call(w, probe_fn, &pr, 50), -EINPROGRESS);
	/* Still running: a new request is refused at once, the record untouched. */
	assert_int_equal(sl_worker_call(w, probe_fn, &other, 50), -EBUSY);
	assert_int_equal(other.runs, 0);
	pr.hold = 0;
	while (atomic_load(&w->mbox.state) != SL_WORKER_MBOX_DONE)
		;
	assert_int_equal(sl_worker_call(w, probe_fn, &other, 2000), 0);
	assert_int_equal(other.runs, 1);
	stop_player(&pl);
	free(w);
}

/* ---- socket path and permissions ---- */

static void bound_socket(const char *path, int do_listen, int *fd_out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 1), 0);
	*fd_out = fd;
}

static void test_clear_path(void **state)
{
	char path[128], err[256];
	int removed = -1, fd;
	FILE *f;

	(void)state;
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/x.admin.sock", tmpdir);
	/* Nothing there. */
	assert_int_equal(sl_admin_clear_path(path, &removed, err, sizeof(err)), 0);
	assert_int_equal(removed, 0);
	/* A regular file is never removed. */
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(sl_admin_clear_path(path, &removed, err, sizeof(err)), -EEXIST);
	assert_int_equal(access(path, F_OK), 0);
	assert_non_null(strstr(err, "not a socket"));
	unlink(path);
	/* A live listener is left alone. */
	bound_socket(path, 1, &fd);
	assert_int_equal(sl_admin_clear_path(path, &removed, err, sizeof(err)), -EADDRINUSE);
	assert_int_equal(access(path, F_OK), 0);
	/* Its process died: the socket is stale and goes. */
	close(fd);
	assert_int_equal(sl_admin_clear_path(path, &removed, err, sizeof(err)), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(access(path, F_OK), -1);
	remove_tmpdir();
}

/* The per-source caps the next new_admin hands over (NULL: none). */
static struct sl_srccap *next_srccap;

static struct sl_admin *new_admin(struct sl_worker *w, struct sl_server *s, unsigned n)
{
	struct sl_admin_params p = {0};
	char path[128], err[256];
	struct sl_admin *a;

	snprintf(path, sizeof(path), "%s/t.admin.sock", tmpdir);
	p.path = path;
	p.instance = "t";
	p.transport = "dpdk";
	p.workers = w;
	p.servers = s;
	p.n_workers = n;
	p.xdp_stats_fd = -1;
	p.xdp_caps_fd = -1;
	p.srccap = next_srccap;
	p.timeout_ms = 1000;
	a = sl_admin_create(&p, err, sizeof(err));
	if (a == NULL)
		fail_msg("sl_admin_create: %s", err);
	return a;
}

static void test_socket_mode_and_protocol(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static const char req[] = "PING\r\n*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n*1\r\n$3\r\nFOO\r\n"
				  "*2\r\n$7\r\nclients\r\n$4\r\nnope\r\n";
	static const char want[] = "+PONG\r\n$2\r\nhi\r\n"
				   "-ERR unknown command 'FOO', with args beginning with: \r\n"
				   "-ERR unknown subcommand 'nope'. Try CLIENTS HELP.\r\n";
	struct sl_admin *a;
	struct stat st;
	char got[512];
	size_t have = 0;
	int fd, i;

	(void)state;
	make_tmpdir();
	a = new_admin(NULL, NULL, 0);
	assert_true(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/t.admin.sock", tmpdir) > 0);
	assert_int_equal(lstat(sa.sun_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* The request split in two writes, the second mid-argument. */
	assert_int_equal(write(fd, req, 20), 20);
	for (i = 0; i < 5; i++)
		sl_admin_poll(a, 10);
	assert_int_equal(write(fd, req + 20, sizeof(req) - 21), (ssize_t)sizeof(req) - 21);
	for (i = 0; i < 200 && have < sizeof(want) - 1; i++) {
		ssize_t n;

		sl_admin_poll(a, 10);
		n = recv(fd, got + have, sizeof(got) - 1 - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
	}
	got[have] = '\0';
	assert_string_equal(got, want);
	close(fd);
	sl_admin_destroy(&a);
	assert_null(a);
	/* destroy removes the socket */
	assert_int_equal(access(sa.sun_path, F_OK), -1);
	remove_tmpdir();
}

static void test_protocol_error_closes(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static const char want[] = "-ERR Protocol error: invalid multibulk length\r\n";
	struct sl_admin *a;
	char got[256];
	size_t have = 0;
	int fd, i, closed = 0;

	(void)state;
	make_tmpdir();
	a = new_admin(NULL, NULL, 0);
	assert_true(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/t.admin.sock", tmpdir) > 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, "*x\r\n", 4), 4);
	for (i = 0; i < 200 && !closed; i++) {
		ssize_t n;

		sl_admin_poll(a, 10);
		n = recv(fd, got + have, sizeof(got) - 1 - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		else if (n == 0)
			closed = 1;
	}
	got[have] = '\0';
	assert_string_equal(got, want);
	assert_true(closed);
	close(fd);
	sl_admin_destroy(&a);
	remove_tmpdir();
}

static void test_commands_without_workers(void **state)
{
	struct sl_admin *a;

	(void)state;
	make_tmpdir();
	a = new_admin(NULL, NULL, 0);
	expect_reply(a, "PING", "+PONG\r\n");
	expect_reply(a, "ping a b", "-ERR wrong number of arguments for 'ping' command\r\n");
	expect_reply(a, "nosuch x y",
		     "-ERR unknown command 'nosuch', with args beginning with: 'x' 'y' \r\n");
	expect_reply(a, "STATS extra", "-ERR wrong number of arguments for 'stats' command\r\n");
	expect_reply(a, "config get",
		     "-ERR wrong number of arguments for 'config|get' command\r\n");
	expect_reply(a, "config get *", "*0\r\n");
	expect_reply(a, "config bogus x", "-ERR unknown subcommand 'bogus'. Try CONFIG HELP.\r\n");
	sl_admin_destroy(&a);
	remove_tmpdir();
}

/* ---- commands reaching a worker's clients ---- */

struct fixture {
	struct sl_store *store;
	struct sl_engine_shared shared;
	struct sl_server *srv;
	struct sl_worker *w;
	struct sl_client c[3];
	struct player pl;
	struct sl_admin *a;
};

static void fixture_up(struct fixture *f)
{
	struct sl_store_config cfg;

	memset(f, 0, sizeof(*f));
	sl_store_config_default(&cfg);
	cfg.n_parts = 1;
	f->store = sl_store_create(&cfg);
	assert_non_null(f->store);
	sl_engine_shared_defaults(&f->shared);
	f->srv = zalloc64(sizeof(*f->srv));
	assert_int_equal(sl_engine_init(&f->srv->eng, f->store, 0, &f->shared), 0);
	f->shared.maxclients = 10000;
	f->srv->eng.now_ms = NOW_MS;
	f->w = new_worker();
	f->w->srv = f->srv;
	sl_client_init(&f->c[0], &f->srv->eng, "198.18.200.2:40001", NOW_MS);
	sl_client_init(&f->c[1], &f->srv->eng, "198.18.200.2:40002", NOW_MS);
	sl_client_init(&f->c[2], &f->srv->eng, "198.18.200.3:40001", NOW_MS);
	make_tmpdir();
	f->a = new_admin(f->w, f->srv, 1);
	start_player(&f->pl, f->w);
}

static void fixture_down(struct fixture *f)
{
	unsigned i;

	stop_player(&f->pl);
	sl_admin_destroy(&f->a);
	for (i = 0; i < 3; i++)
		sl_client_deinit(&f->c[i]);
	sl_engine_deinit(&f->srv->eng);
	free(f->srv);
	free(f->w);
	sl_store_destroy(&f->store);
	remove_tmpdir();
}

static void test_clients_list_and_kill(void **state)
{
	struct fixture f;
	char *r, want[128], cmd[64];
	unsigned i;

	(void)state;
	fixture_up(&f);
	r = exec(f.a, "CLIENTS LIST");
	/* A bulk string with one Redis CLIENT LIST line per client. */
	assert_true(r[0] == '$');
	for (i = 0; i < 3; i++) {
		/* The addresses fixture_up gave the clients. */
		static const char *const addrs[] = {"198.18.200.2:40001", "198.18.200.2:40002",
						    "198.18.200.3:40001"};

		snprintf(want, sizeof(want),
			 "id=%llu addr=%s laddr= fd=-1 name= age=0 idle=0 flags=N",
			 (unsigned long long)f.c[i].id, addrs[i]);
		if (strstr(r, want) == NULL)
			fail_msg("no \"%s\" in %s", want, r);
	}
	assert_non_null(strstr(r, " cmd=NULL user=default redir=-1 resp=2\n"));
	free(r);

	snprintf(cmd, sizeof(cmd), "CLIENTS KILL %llu", (unsigned long long)f.c[1].id);
	expect_reply(f.a, cmd, ":1\r\n");
	assert_true(f.c[1].flags & SL_CLIENT_KILLED);
	assert_false(f.c[0].flags & SL_CLIENT_KILLED);
	/* Already going: not counted again. */
	expect_reply(f.a, cmd, "-ERR No such client\r\n");
	expect_reply(f.a, "CLIENTS KILL 198.18.200.3:40001", ":1\r\n");
	assert_true(f.c[2].flags & SL_CLIENT_KILLED);
	assert_int_equal(f.srv->eng.killed, 2);
	expect_reply(f.a, "CLIENTS KILL 999999", "-ERR No such client\r\n");
	expect_reply(f.a, "CLIENTS KILL 198.18.200.99:1", "-ERR No such client\r\n");
	expect_reply(f.a, "CLIENTS KILL 0",
		     "-ERR client-id should be greater than 0 (or give ip:port)\r\n");
	expect_reply(f.a, "CLIENTS KILL",
		     "-ERR wrong number of arguments for 'clients|kill' command\r\n");
	fixture_down(&f);
}

static void test_config_live(void **state)
{
	struct fixture f;

	(void)state;
	fixture_up(&f);
	expect_reply(f.a, "CONFIG GET maxclients", "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
	expect_reply(f.a, "CONFIG SET maxclients 50", "+OK\r\n");
	assert_int_equal(f.shared.maxclients, 50);
	expect_reply(f.a, "CONFIG GET maxc*", "*2\r\n$10\r\nmaxclients\r\n$2\r\n50\r\n");
	expect_reply(f.a, "CONFIG SET maxclients 0",
		     "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
		     "argument must be between 1 and 1000000 inclusive\r\n");
	assert_int_equal(f.shared.maxclients, 50);
	/* The value of client-output-buffer-limit is one argument, as with redis-cli. */
	{
		struct sl_resp_arg argv[4] = {{"CONFIG", 6, 0},
					      {"SET", 3, 0},
					      {"client-output-buffer-limit", 26, 0},
					      {"normal 1mb 256kb 10", 19, 0}};
		struct sl_resp_out out;
		char *r;

		sl_resp_out_init(&out, NULL);
		sl_admin_execute(f.a, argv, 4, &out);
		r = drain(&out);
		assert_string_equal(r, "+OK\r\n");
		free(r);
		sl_resp_out_deinit(&out);
	}
	assert_int_equal(f.shared.obuf[0].hard, 1024 * 1024);
	assert_int_equal(f.shared.obuf[0].soft, 256 * 1024);
	assert_int_equal(f.shared.obuf[0].soft_ms, 10000);
	expect_reply(f.a, "CONFIG SET nosuch 1",
		     "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
	fixture_down(&f);
}

/* CAPS: the global cap through maxclients, the per-source default and the
 * per-prefix rules, each reaching the table the workers consult. */
static void test_caps(void **state)
{
	struct sl_srccap caps;
	struct fixture f;
	char *r;

	(void)state;
	assert_int_equal(sl_srccap_init(&caps, 0, 32), 0);
	next_srccap = &caps;
	fixture_up(&f);
	next_srccap = NULL;
	r = exec(f.a, "CAPS");
	assert_non_null(strstr(r, "global:10000\r\n"));
	assert_non_null(strstr(r, "source_prefix:32\r\nsource:0\r\n"));
	assert_null(strstr(r, "prefix:1"));
	free(r);
	expect_reply(f.a, "CAPS SET global 300", "+OK\r\n");
	assert_int_equal(f.shared.maxclients, 300);
	expect_reply(f.a, "CAPS SET source 7", "+OK\r\n");
	assert_int_equal(sl_srccap_limit(&caps, 0xc6120101), 7); /* 198.18.1.1 */
	expect_reply(f.a, "CAPS SET 198.18.1.0/24 2", "+OK\r\n");
	expect_reply(f.a, "CAPS SET 198.18.1.9 0", "+OK\r\n");
	assert_int_equal(sl_srccap_limit(&caps, 0xc6120101), 2);
	assert_int_equal(sl_srccap_limit(&caps, 0xc6120109), 0);
	assert_int_equal(sl_srccap_limit(&caps, 0xc6120201), 7);
	r = exec(f.a, "caps get");
	assert_non_null(strstr(r, "global:300\r\n"));
	assert_non_null(strstr(r, "source:7\r\n"));
	assert_non_null(strstr(r, "prefix:198.18.1.0/24 2\r\n"));
	assert_non_null(strstr(r, "prefix:198.18.1.9/32 0\r\n"));
	free(r);
	expect_reply(f.a, "CAPS DEL 198.18.1.0/24", "+OK\r\n");
	assert_int_equal(sl_srccap_limit(&caps, 0xc6120101), 7);
	expect_reply(f.a, "CAPS DEL 198.18.1.0/24", "-ERR no cap for 198.18.1.0/24\r\n");
	expect_reply(f.a, "CAPS SET 198.18.300.0/24 1",
		     "-ERR expected GLOBAL, SOURCE or a prefix A.B.C.D[/LEN], got "
		     "'198.18.300.0/24'\r\n");
	expect_reply(f.a, "CAPS SET 198.18.1.0/33 1",
		     "-ERR expected GLOBAL, SOURCE or a prefix A.B.C.D[/LEN], got "
		     "'198.18.1.0/33'\r\n");
	expect_reply(f.a, "CAPS SET source -1",
		     "-ERR the cap must be an integer between 0 and 1000000 (0 = no cap)\r\n");
	expect_reply(f.a, "CAPS SET global 0",
		     "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
		     "argument must be between 1 and 1000000 inclusive\r\n");
	expect_reply(f.a, "CAPS SET", "-ERR wrong number of arguments for 'caps|set' command\r\n");
	expect_reply(f.a, "CAPS SET 198.18.1.0/24 1 2",
		     "-ERR wrong number of arguments for 'caps|set' command\r\n");
	expect_reply(f.a, "CAPS nope", "-ERR unknown subcommand 'nope'. Try GET, SET, DEL.\r\n");
	r = exec(f.a, "PACING");
	assert_non_null(strstr(r, "conn_rate_mbps:0\r\n"));
	assert_non_null(strstr(r, "port_rate_mbps:0\r\n"));
	free(r);
	expect_reply(f.a, "PACING x", "-ERR wrong number of arguments for 'pacing' command\r\n");
	fixture_down(&f);
	sl_srccap_deinit(&caps);
}

static void test_stats_and_status(void **state)
{
	struct fixture f;
	char *r;

	(void)state;
	fixture_up(&f);
	f.srv->eng.stats.commands = 1234;
	r = exec(f.a, "STATS");
	assert_non_null(strstr(r, "worker0_responsive:1\r\n"));
	assert_non_null(strstr(r, "worker0_requests:1234\r\n"));
	assert_non_null(strstr(r, "worker0_connections:3\r\n"));
	assert_non_null(strstr(r, "worker0_output_memory:0\r\n"));
	assert_non_null(strstr(r, "total_commands_processed:1234\r\n"));
	assert_non_null(strstr(r, "auth_failures:0\r\n"));
	free(r);
	r = exec(f.a, "STATUS");
	assert_non_null(strstr(r, "instance:t\r\n"));
	assert_non_null(strstr(r, "worker0:ok\r\n"));
	free(r);
	/* The worker stops answering: STATUS and STATS say so instead of hanging. */
	stop_player(&f.pl);
	r = exec(f.a, "STATUS");
	assert_non_null(strstr(r, "worker0:did not answer in time (stuck?)\r\n"));
	free(r);
	r = exec(f.a, "STATS");
	assert_non_null(strstr(r, "worker0_responsive:0\r\n"));
	assert_null(strstr(r, "worker0_output_memory:"));
	free(r);
	r = exec(f.a, "CLIENTS LIST");
	assert_string_equal(r, "-ERR worker 0 did not answer in time (stuck?)\r\n");
	free(r);
	start_player(&f.pl, f.w);
	fixture_down(&f);
}

/* ---- AUTH failure limiting ---- */

static char *feed(struct sl_client *c, const char *req, uint64_t now, int *rc)
{
	bool held;

	*rc = sl_client_input(c, req, strlen(req), now, &held);
	return drain(&c->out);
}

static void test_auth_limit(void **state)
{
	static const char wrong[] =
		"-WRONGPASS invalid username-password pair or user is disabled.\r\n";
	static const char limited[] = "-ERR too many AUTH failures on this connection (more "
				      "than 5 within one second); closing it\r\n";
	struct sl_store_config cfg;
	struct sl_engine_shared sh;
	struct sl_engine e;
	struct sl_store *st;
	struct sl_client c, d;
	char *r;
	int i, rc;

	(void)state;
	sl_store_config_default(&cfg);
	cfg.n_parts = 1;
	st = sl_store_create(&cfg);
	assert_non_null(st);
	assert_int_equal(sl_store_reader_online(st, 0), 0);
	sl_engine_shared_defaults(&sh);
	strcpy(sh.requirepass, "secret");
	sh.requirepass_len = 6;
	assert_int_equal(sl_engine_init(&e, st, 0, &sh), 0);

	/* Five failures in a second are answered as Redis answers them. */
	sl_client_init(&c, &e, "198.18.200.2:1", NOW_MS);
	for (i = 0; i < 5; i++) {
		r = feed(&c, "AUTH guess\r\n", NOW_MS + (uint64_t)i * 100, &rc);
		assert_string_equal(r, wrong);
		assert_int_equal(rc, 0);
		free(r);
	}
	/* The sixth attempt, even the right password, is refused and the connection
	 * closes after the reply; later pipelined requests are not run. */
	r = feed(&c, "AUTH secret\r\nPING\r\n", NOW_MS + 900, &rc);
	assert_string_equal(r, limited);
	assert_int_equal(rc, -EPIPE);
	assert_true(c.flags & SL_CLIENT_CLOSE_AFTER_REPLY);
	assert_false(c.flags & SL_CLIENT_AUTHENTICATED);
	free(r);
	sl_client_deinit(&c);

	/* Another connection: after the window, guesses are compared again. */
	sl_client_init(&d, &e, "198.18.200.2:2", NOW_MS);
	for (i = 0; i < 5; i++) {
		r = feed(&d, "HELLO 2 AUTH default wrong\r\n", NOW_MS, &rc);
		assert_string_equal(r, wrong);
		free(r);
	}
	r = feed(&d, "HELLO 2 AUTH default secret\r\n", NOW_MS + 10, &rc);
	assert_string_equal(r, limited);
	free(r);
	d.flags &= ~SL_CLIENT_CLOSE_AFTER_REPLY; /* as if the transport kept it: window check */
	r = feed(&d, "AUTH wrong\r\n", NOW_MS + 1000, &rc);
	assert_string_equal(r, wrong);
	free(r);
	r = feed(&d, "AUTH secret\r\n", NOW_MS + 1001, &rc);
	assert_string_equal(r, "+OK\r\n");
	free(r);
	sl_client_deinit(&d);

	/* Every failed comparison is counted (errorstat_WRONGPASS); refusals are not. */
	for (i = 0; i < SL_ENGINE_ERRSTATS; i++)
		if (strcmp(e.errstats[i].prefix, "WRONGPASS") == 0)
			break;
	assert_true(i < SL_ENGINE_ERRSTATS);
	assert_int_equal(e.errstats[i].count, 11);
	sl_engine_deinit(&e);
	sl_store_reader_offline(st, 0);
	sl_store_destroy(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mailbox_runs_on_worker),
		cmocka_unit_test(test_mailbox_timeout_withdraws),
		cmocka_unit_test(test_mailbox_stuck_worker),
		cmocka_unit_test(test_clear_path),
		cmocka_unit_test(test_socket_mode_and_protocol),
		cmocka_unit_test(test_protocol_error_closes),
		cmocka_unit_test(test_commands_without_workers),
		cmocka_unit_test(test_clients_list_and_kill),
		cmocka_unit_test(test_config_live),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_stats_and_status),
		cmocka_unit_test(test_auth_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
