/*
 * t1002-connections: what guichetd does with connections rather than
 * requests: slow clients are cut off, keep-alive works, a stop lets the
 * requests in flight finish, and one address cannot take every slot.
 */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

START_TEST(test_conn_slow_client_dropped)
{
	struct server	 s;
	struct raw_resp	 raw;
	const char	*extra[] = { "--connection-timeout", "2", NULL };
	long long	 t0, dt;
	int		 fd;

	harness_start(&s, extra);
	fd = harness_connect(&s);
	ck_assert_int_ne(fd, -1);
	t0 = harness_now_ms();
	/* A request line and one header, then silence. */
	ck_assert_int_eq(harness_send_str(fd, "GET /healthz HTTP/1.1\r\n"
	    "Host: x\r\n"), 0);
	harness_raw_read(fd, 6000, 1, &raw);
	dt = harness_now_ms() - t0;
	ck_assert_msg(raw.eof || raw.reset, "the connection is still open "
	    "after %lld ms (connection_timeout 2 s)", dt);
	ck_assert_msg(dt <= 4500, "closed after %lld ms, expected about 2 s",
	    dt);
	ck_assert_msg(dt >= 1000, "closed after %lld ms, before the timeout",
	    dt);
	ck_assert_msg(strstr(raw.data, "200") == NULL,
	    "the incomplete request was served: %s", raw.data);
	raw_resp_free(&raw);
	close(fd);
	harness_stop_healthy(&s);
}
END_TEST

START_TEST(test_conn_keep_alive)
{
	struct server	 s;
	CURL		*c;
	char		*url;
	long		 status, nconn;
	int		 i;

	harness_start(&s, NULL);
	url = harness_printf("http://127.0.0.1:%d/healthz", s.port);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, harness_curl_discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		ck_assert_int_eq(status, 200);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn);
		if (i == 0)
			ck_assert_int_eq(nconn, 1);
		else
			ck_assert_msg(nconn == 0, "request %d opened a new "
			    "connection: no keep-alive", i + 1);
	}
	/* Also after an error response. */
	free(url);
	url = harness_printf("http://127.0.0.1:%d/nope", s.port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_setopt(c, CURLOPT_URL, url);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn);
	ck_assert_msg(nconn == 0, "a 404 closed the connection");
	curl_easy_cleanup(c);
	free(url);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_conn_graceful_shutdown_in_flight)
{
	struct server	 s;
	struct raw_resp	 raw;
	const char	*extra[] = { "--shutdown-timeout", "5", NULL };
	long long	 t0;
	int		 fd, probe, st;

	harness_start(&s, extra);
	fd = harness_connect(&s);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send_str(fd, "POST /api/v1/accounts HTTP/1.1"
	    "\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: 20\r\n\r\n{\"bogus\": "), 0);	/* 10 of 20 */
	harness_sleep_ms(200);
	harness_server_signal(&s, SIGTERM);
	harness_sleep_ms(300);

	/* No new work once the stop has begun. */
	probe = harness_connect(&s);
	if (probe != -1) {
		struct raw_resp	 p;

		harness_send_str(probe, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
		    "\r\n");
		harness_raw_read(probe, 1000, 0, &p);
		ck_assert_msg(p.status == 0, "a new connection was served "
		    "during shutdown: %s", p.data);
		raw_resp_free(&p);
		close(probe);
	}
	ck_assert_msg(harness_server_alive(&s), "the server exited with a "
	    "request in flight (status %d)", s.status);

	/* The request in flight completes. */
	ck_assert_int_eq(harness_send_str(fd, "\"x\"      }"), 0); /* 10 more */
	harness_raw_read(fd, 5000, 0, &raw);
	ck_assert_msg(raw.complete, "no complete response to the request in "
	    "flight (status %d, eof %d, reset %d, timeout %d): %s", raw.status,
	    raw.eof, raw.reset, raw.timed_out, raw.data);
	ck_assert_msg(raw.status >= 200 && raw.status < 600, "status %d",
	    raw.status);
	raw_resp_free(&raw);
	close(fd);

	t0 = harness_now_ms();
	st = harness_server_wait(&s, 6000);
	ck_assert_msg(st == 0, "exit status %d %lld ms after the response",
	    st, harness_now_ms() - t0);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_conn_shutdown_timeout_bounds_stop)
{
	struct server	 s;
	const char	*extra[] = { "--shutdown-timeout", "2", NULL };
	long long	 t0, dt;
	int		 fd, st;

	/* A client that never finishes cannot hold the stop forever. */
	harness_start(&s, extra);
	fd = harness_connect(&s);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(harness_send_str(fd, "POST /api/v1/accounts HTTP/1.1"
	    "\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
	    "Content-Length: 20\r\n\r\n{"), 0);
	harness_sleep_ms(200);
	t0 = harness_now_ms();
	harness_server_signal(&s, SIGTERM);
	st = harness_server_wait(&s, 8000);
	dt = harness_now_ms() - t0;
	ck_assert_msg(st != -1, "still running %lld ms after SIGTERM "
	    "(shutdown_timeout 2 s)", dt);
	ck_assert_msg(dt <= 4500, "stopped after %lld ms (shutdown_timeout "
	    "2 s)", dt);
	close(fd);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_conn_per_ip_limit)
{
	struct server	 s;
	struct raw_resp	 raw;
	struct http_resp r;
	const char	*extra[] = { "--per-ip-connection-limit", "4", NULL };
	int		 fd[4], fifth, i, ok;
	long long	 end;

	harness_start(&s, extra);
	/* Let the harness's own poll connections close. */
	harness_sleep_ms(300);
	for (i = 0; i < 4; i++) {
		fd[i] = harness_connect(&s);
		ck_assert_int_ne(fd[i], -1);
	}
	harness_sleep_ms(300);
	fifth = harness_connect(&s);
	if (fifth != -1) {
		harness_send_str(fifth, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
		    "\r\n");
		harness_raw_read(fifth, 2000, 0, &raw);
		ck_assert_msg(raw.status == 0 && (raw.eof || raw.reset),
		    "the 5th connection from one address was %s: %s",
		    raw.status ? "served" : "left open", raw.data);
		raw_resp_free(&raw);
		close(fifth);
	}
	/* The four idle ones still work. */
	ck_assert_int_eq(harness_send_str(fd[0], "GET /healthz HTTP/1.1\r\n"
	    "Host: x\r\n\r\n"), 0);
	harness_raw_read(fd[0], 3000, 0, &raw);
	ck_assert_msg(raw.status == 200, "an accepted connection: status %d",
	    raw.status);
	raw_resp_free(&raw);
	for (i = 0; i < 4; i++)
		close(fd[i]);

	/* Slots come back once they are closed. */
	end = harness_now_ms() + 3000;
	for (ok = 0; !ok && harness_now_ms() < end; harness_sleep_ms(100)) {
		if (harness_get(&s, "/healthz", &r) == 0 && r.status == 200)
			ok = 1;
		http_resp_free(&r);
	}
	ck_assert_msg(ok, "no request succeeds after closing the connections");
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_conn_slow_client_dropped,
	&test_conn_keep_alive,
	&test_conn_graceful_shutdown_in_flight,
	&test_conn_shutdown_timeout_bounds_stop,
	&test_conn_per_ip_limit,
	NULL
};

const struct test_group test_groups[] = {
	{ "connections", HARNESS_TIMEOUT, NULL, NULL, harness_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
