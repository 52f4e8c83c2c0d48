/*
 * test_route.c: the router's matching rules.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "http/route.h"
#include "unit.h"

static int	h(struct request *r) { (void)r; return (0); }

static const struct route table[] = {
	{ .method = "GET", .pattern = "/healthz", .handler = h,
	  .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/cases", .handler = h,
	  .perm = PERM_PUBLIC },
	{ .method = "POST", .pattern = "/api/v1/cases", .handler = h,
	  .perm = PERM_PUBLIC, .flags = ROUTE_BODY },
	{ .method = "GET", .pattern = "/api/v1/cases/{id}", .handler = h,
	  .perm = PERM_PUBLIC },
	{ .method = "PATCH", .pattern = "/api/v1/cases/{id}", .handler = h,
	  .perm = PERM_PUBLIC, .flags = ROUTE_BODY },
	{ .method = "GET", .pattern = "/api/v1/cases/{id}/messages/{mid}", .handler = h,
	  .perm = PERM_PUBLIC },
};

static void
setup(void)
{
	router_init(table, sizeof(table) / sizeof(table[0]));
}

static void
req_free(struct request *r)
{
	int	 i;

	for (i = 0; i < ROUTE_PARAMS_MAX; i++) {
		free((char *)(uintptr_t)r->params[i].name);
		free(r->params[i].value);
	}
}

static enum route_result
match(const char *m, const char *p, struct request *r, int *idx, char *allow)
{
	memset(r, 0, sizeof(*r));
	return (route_match(m, p, r, idx, allow, 64));
}

START_TEST(test_route_literal)
{
	struct request	 r;
	char		 allow[64];
	int		 idx;

	ck_assert_int_eq(match("GET", "/healthz", &r, &idx, allow), ROUTE_FOUND);
	ck_assert_int_eq(idx, 0);
	ck_assert_int_eq(r.nparams, 0);
	ck_assert_int_eq(match("POST", "/api/v1/cases", &r, &idx, allow), ROUTE_FOUND);
	ck_assert_int_eq(idx, 2);
}
END_TEST

START_TEST(test_route_not_found)
{
	struct request	 r;
	char		 allow[64];
	int		 idx;

	ck_assert_int_eq(match("GET", "/nope", &r, &idx, allow), ROUTE_NOT_FOUND);
	ck_assert_int_eq(idx, -1);
	ck_assert_int_eq(match("GET", "/healthz/", &r, &idx, allow), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match("GET", "/api/v1/cases/", &r, &idx, allow), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match("GET", "/api/v1/cases/1/messages", &r, &idx, allow), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match("GET", "", &r, &idx, allow), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match("GET", "healthz", &r, &idx, allow), ROUTE_NOT_FOUND);
	ck_assert_int_eq(match("GET", "//healthz", &r, &idx, allow), ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(test_route_params)
{
	struct request	 r;
	char		 allow[64];
	int		 idx;

	ck_assert_int_eq(match("GET", "/api/v1/cases/abc/messages/x%20y", &r, &idx,
	    allow), ROUTE_FOUND);
	ck_assert_int_eq(idx, 5);
	ck_assert_int_eq(r.nparams, 2);
	ck_assert_str_eq(request_param(&r, "id"), "abc");
	ck_assert_str_eq(request_param(&r, "mid"), "x y");
	ck_assert_ptr_null(request_param(&r, "other"));
	req_free(&r);
}
END_TEST

START_TEST(test_route_bad_escape)
{
	struct request	 r;
	char		 allow[64];
	int		 idx;

	ck_assert_int_eq(match("GET", "/api/v1/cases/%zz", &r, &idx, allow), ROUTE_NOT_FOUND);
	req_free(&r);
	ck_assert_int_eq(match("GET", "/api/v1/cases/%00", &r, &idx, allow), ROUTE_NOT_FOUND);
	req_free(&r);
	ck_assert_int_eq(match("GET", "/api/v1/cases/ab%4", &r, &idx, allow), ROUTE_NOT_FOUND);
	req_free(&r);
	/* An encoded slash stays inside the segment. */
	ck_assert_int_eq(match("GET", "/api/v1/cases/a%2Fb", &r, &idx, allow), ROUTE_FOUND);
	ck_assert_str_eq(request_param(&r, "id"), "a/b");
	req_free(&r);
}
END_TEST

START_TEST(test_route_method_not_allowed)
{
	struct request	 r;
	char		 allow[64];
	int		 idx;

	ck_assert_int_eq(match("DELETE", "/api/v1/cases", &r, &idx, allow),
	    ROUTE_BAD_METHOD);
	ck_assert_str_eq(allow, "GET, HEAD, POST");
	ck_assert_int_eq(match("POST", "/healthz", &r, &idx, allow), ROUTE_BAD_METHOD);
	ck_assert_str_eq(allow, "GET, HEAD");
	ck_assert_int_eq(match("POST", "/api/v1/cases/7", &r, &idx, allow),
	    ROUTE_BAD_METHOD);
	ck_assert_str_eq(allow, "GET, HEAD, PATCH");
}
END_TEST

START_TEST(test_route_head_is_get)
{
	struct request	 r;
	char		 allow[64];
	int		 idx;

	ck_assert_int_eq(match("HEAD", "/healthz", &r, &idx, allow), ROUTE_FOUND);
	ck_assert_int_eq(idx, 0);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_route_literal,
	&test_route_not_found,
	&test_route_params,
	&test_route_bad_escape,
	&test_route_method_not_allowed,
	&test_route_head_is_get,
	NULL
};

const struct test_group test_groups[] = {
	{ "match", TEST_TIMEOUT_CHECK, setup, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
