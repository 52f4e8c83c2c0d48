/*
 * t4105-lists: GET /api/v1/cases, an agent's queue: its filters (status,
 * procedure, assignee, overdue, submitted between two dates of the
 * town), its sorts and keyset pages (every case once, in order; a cursor
 * belongs to its sort), and the full-text search over the reference and
 * the answers, French stemming with accents folded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"

#define FROZEN	"2026-03-20T09:30:00Z"

/* The ids of GET 'path' (one page) in order, space-separated. */
static char *
page(struct idenv *e, const char *token, const char *path, char **next,
    long *status)
{
	json_t	*j, *it;
	char	*s = harness_printf("%s", ""), *t;
	size_t	 i;

	j = idl_reqj(e, "GET", path, token, NULL, status);
	json_array_foreach(json_object_get(j, "items"), i, it) {
		t = harness_printf("%s%s ", s, idl_jstr(it, "id"));
		free(s);
		s = t;
	}
	if (next != NULL)
		*next = idl_jstr(j, "next_cursor") != NULL ?
		    harness_printf("%s", idl_jstr(j, "next_cursor")) : NULL;
	json_decref(j);
	return (s);
}

static long
count_of(struct idenv *e, const char *token, const char *path)
{
	char	*p = page(e, token, path, NULL, &(long){ 0 });
	long	 n = idl_count(p, " ");

	free(p);
	return (n);
}

/* Seven filed cases, received a day apart from 10 March (town time). */
struct seven {
	char	*id[7];
	char	*ref[7];
};

static void
seven_make(struct idenv *e, const char *res, struct seven *s)
{
	static const char *const motifs[] = { "Élagage des grands arbres",
	    "Terrasses du café de la place", "Bruit de chantier",
	    "Déneigement du chemin", "Éclairage public en panne",
	    "Stationnement gênant", "Fuite d'eau sur la route" };
	json_t	*form, *c;
	int	 i;

	for (i = 0; i < 7; i++) {
		form = cl_permis_form();
		json_object_set_new(form, "motif", json_string(motifs[i]));
		s->id[i] = cl_file(e, res, i == 6 ? "t_refus" : "t_permis",
		    i == 6 ? json_pack("{s:s}", "nom", "Fuite") : form,
		    1, &c);
		if (i == 6)
			json_decref(form);
		s->ref[i] = harness_printf("%s", idl_jstr(c, "reference"));
		json_decref(c);
		/*
		 * Received on 10 + i March, 12:00 in the town.  The first is
		 * then overdue at the clock (due at midnight starting the
		 * 20th): silence would decide it (t_permis: acceptance)
		 * whenever guichetd's deadline job runs, a second after
		 * start-up or a minute later, and the test would race it.
		 * It stays overdue as a case whose silence decides nothing.
		 */
		ck_assert_int_eq(idl_sql_exec(e, "UPDATE cases.cases SET "
		    "received_at = '2026-03-%02dT11:00:00Z', due_at = "
		    "cases.due('2026-03-%02dT11:00:00Z', deadline_days), "
		    "updated_at = '2026-03-%02dT11:00:00Z', implicit = CASE "
		    "WHEN %d = 0 THEN 'none' ELSE implicit END WHERE id = '%s'",
		    10 + i, 10 + i, 20 - i, i, s->id[i]), 0);
	}
}

static void
seven_free(struct seven *s)
{
	int	 i;

	for (i = 0; i < 7; i++) {
		free(s->id[i]);
		free(s->ref[i]);
	}
}

START_TEST(test_filters)
{
	struct idenv	 e;
	struct seven	 s;
	char		*res, *agent, *chief, *path, *body;
	json_t		*j;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	chief = cl_agent(&e, CL_TECH_CHIEF);
	seven_make(&e, res, &s);
	ck_assert_int_eq(cl_move(&e, agent, s.id[0], "in_review", NULL), 200);
	ck_assert_int_eq(cl_move(&e, agent, s.id[1], "awaiting_information",
	    "Une question."), 200);
	path = harness_printf("/api/v1/cases/%s/assignment", s.id[2]);
	body = harness_printf("{\"assignee\": \"%s\"}",
	    cl_people.agent[CL_TECH]);
	ck_assert_int_eq(idl_status(&e, "POST", path, chief, body), 200);
	free(body);
	free(path);

	ck_assert_int_eq(count_of(&e, agent, "/api/v1/cases"), 7);
	ck_assert_int_eq(count_of(&e, agent, "/api/v1/cases?status=in_review"),
	    1);
	ck_assert_int_eq(count_of(&e, agent,
	    "/api/v1/cases?status=in_review,awaiting_information"), 2);
	ck_assert_int_eq(count_of(&e, agent,
	    "/api/v1/cases?procedure=t_refus"), 1);
	ck_assert_int_eq(count_of(&e, agent, "/api/v1/cases?assignee=me"), 1);
	ck_assert_int_eq(count_of(&e, agent, "/api/v1/cases?assignee=none"),
	    6);
	/* Submitted between two days of the town, both included. */
	ck_assert_int_eq(count_of(&e, agent, "/api/v1/cases?submitted_from="
	    "2026-03-11&submitted_to=2026-03-13"), 3);
	ck_assert_int_eq(count_of(&e, agent, "/api/v1/cases?submitted_from="
	    "2026-03-16T11:00:00Z"), 1);
	/* Overdue at the clock (20 March): t_permis of 10 March is due on the 20th. */
	ck_assert_int_eq(count_of(&e, agent, "/api/v1/cases?overdue=true"),
	    1);
	ck_assert_int_eq(count_of(&e, agent, "/api/v1/cases?overdue=false"),
	    6);
	/* Bad filters: 400 naming them. */
	j = idl_reqj(&e, "GET", "/api/v1/cases?status=nope", agent, NULL, &st);
	ck_assert_int_eq(st, 400);
	body = harness_dump(j);
	ck_assert_msg(strstr(body, "status") != NULL, "%s", body);
	free(body);
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases?assignee=x",
	    agent, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases?overdue=maybe",
	    agent, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET",
	    "/api/v1/cases?submitted_from=hier", agent, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases?sort=nom",
	    agent, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases?mine=1", agent,
	    NULL), 400);
	seven_free(&s);
	free(res);
	free(agent);
	free(chief);
	idl_stop(&e);
}
END_TEST

/* Walk every page of 'path' (limit 3): the ids in order. */
static char *
walk(struct idenv *e, const char *token, const char *path)
{
	char	*all = harness_printf("%s", ""), *next = NULL, *p, *t, *url;
	long	 st;
	int	 pages = 0;

	url = harness_printf("%s&limit=3", path);
	for (;;) {
		p = page(e, token, url, &next, &st);
		ck_assert_int_eq(st, 200);
		t = harness_printf("%s%s", all, p);
		free(all);
		free(p);
		all = t;
		free(url);
		ck_assert_int_lt(++pages, 10);
		if (next == NULL)
			break;
		url = harness_printf("%s&limit=3&cursor=%s", path, next);
		free(next);
	}
	return (all);
}

/* Every page of 'path' lists the seven in the order 'order' (indexes). */
static void
in_order(struct idenv *e, const char *token, const char *path,
    const struct seven *s, const char *order)
{
	char	*got, *want = harness_printf("%s", ""), *t;
	size_t	 i;

	for (i = 0; order[i] != '\0'; i++) {
		t = harness_printf("%s%s ", want, s->id[order[i] - '0']);
		free(want);
		want = t;
	}
	got = walk(e, token, path);
	ck_assert_msg(strcmp(got, want) == 0, "%s: not in the order %s", path,
	    order);
	free(got);
	free(want);
}

START_TEST(test_sorts_and_pages)
{
	struct idenv	 e;
	struct seven	 s;
	char		*res, *agent, *got, *next, *url, *p;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	seven_make(&e, res, &s);
	/*
	 * By receipt, oldest first: the order they were received in; the
	 * other way; updated_at runs the other way; by deadline, t_refus (15
	 * days) after the t_permis of the 15th.
	 */
	in_order(&e, agent, "/api/v1/cases?sort=received", &s, "0123456");
	in_order(&e, agent, "/api/v1/cases?sort=-received", &s, "6543210");
	in_order(&e, agent, "/api/v1/cases?sort=updated", &s, "6543210");
	in_order(&e, agent, "/api/v1/cases?sort=due", &s, "0123456");
	/* Paused cases come last by deadline, whatever their receipt. */
	ck_assert_int_eq(cl_move(&e, agent, s.id[0], "awaiting_information",
	    "Une question."), 200);
	p = page(&e, agent, "/api/v1/cases?sort=due&limit=7", NULL, &st);
	ck_assert_msg(strstr(p, s.id[0]) == p + strlen(p) - 37, "%s", p);
	free(p);
	/* A cursor belongs to its sort; a forged one is refused. */
	free(page(&e, agent, "/api/v1/cases?sort=due&limit=2", &next, &st));
	ck_assert_ptr_nonnull(next);
	url = harness_printf("/api/v1/cases?sort=received&limit=2&cursor=%s",
	    next);
	ck_assert_int_eq(idl_status(&e, "GET", url, agent, NULL), 400);
	free(url);
	url = harness_printf("/api/v1/cases?sort=due&limit=2&cursor=%sx",
	    next);
	ck_assert_int_eq(idl_status(&e, "GET", url, agent, NULL), 400);
	free(url);
	free(next);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases?limit=0", agent,
	    NULL), 400);
	/* The person's own list pages the same way. */
	got = walk(&e, res, "/api/v1/cases?sort=received&procedure=t_permis");
	ck_assert_int_eq(idl_count(got, " "), 6);
	free(got);
	seven_free(&s);
	free(res);
	free(agent);
	idl_stop(&e);
}
END_TEST

START_TEST(test_full_text)
{
	static const struct {
		const char	*q;
		int		 hits;
	} queries[] = {
		{ "elagage", 1 },		/* accents folded */
		{ "ÉLAGAGE", 1 },
		{ "arbre", 1 },			/* stemming: arbres */
		{ "terrasse", 1 },
		{ "cafe", 1 },
		{ "\"grands arbres\"", 1 },	/* a phrase */
		{ "eclairage OR deneigement", 2 },
		{ "chantier -bruit", 0 },
		{ "camille", 6 },		/* the name in every t_permis */
		{ "zzzz", 0 },
	};
	struct idenv	 e;
	struct seven	 s;
	char		*res, *agent, *mairie, *url, *q, *p, *want;
	size_t		 i;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	mairie = cl_agent(&e, CL_MAIRIE);
	seven_make(&e, res, &s);
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		q = idl_urlencode(queries[i].q);
		url = harness_printf("/api/v1/cases?limit=100&q=%s", q);
		ck_assert_msg(count_of(&e, agent, url) == queries[i].hits,
		    "q=%s: not %d hits", queries[i].q, queries[i].hits);
		/* The person searches their own cases the same way. */
		ck_assert_msg(count_of(&e, res, url) == queries[i].hits,
		    "q=%s (own): not %d hits", queries[i].q, queries[i].hits);
		ck_assert_int_eq(count_of(&e, mairie, url), 0);
		free(url);
		free(q);
	}
	/* The reference, whole or its number. */
	want = harness_printf("%s ", s.id[3]);
	url = harness_printf("/api/v1/cases?q=%s", s.ref[3]);
	p = page(&e, agent, url, NULL, &(long){ 0 });
	ck_assert_str_eq(p, want);
	free(p);
	free(url);
	url = harness_printf("/api/v1/cases?q=%s", strrchr(s.ref[3], '-') + 1);
	p = page(&e, agent, url, NULL, &(long){ 0 });
	ck_assert_str_eq(p, want);
	free(p);
	free(url);
	/* Filters and sort apply to a search too. */
	ck_assert_int_eq(count_of(&e, agent,
	    "/api/v1/cases?q=camille&submitted_to=2026-03-12&sort=-due"), 3);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/cases?q=%20", agent,
	    NULL), 400);
	free(want);
	seven_free(&s);
	free(res);
	free(agent);
	free(mairie);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_filters,
	&test_sorts_and_pages,
	&test_full_text,
	NULL
};

const struct test_group test_groups[] = {
	{ "lists", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
