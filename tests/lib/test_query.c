/* Tests of lib/dashboard_query.c: request targets split, decoded and checked. */
#include <math.h>
#include <criterion/criterion.h>
#include <string.h>

#include "dashboard_internal.h"

static rh_dashboard_url u = RH_DASHBOARD_URL_INIT;

static void
fini(void)
{
	rh_dashboard_url_dispose(&u);
}

TestSuite(query, .fini = fini);

Test(query, splits_path_and_decodes_parameters)
{
	cr_assert_eq(rh_dashboard_url_parse(
			     &u,
			     "/c/default/c1/s%5F1/api/v0/tasks?"
			     "detail=1&filter_keys=job_id&filter_predicates=%3D"
			     "&filter_values=01000000&x&name=a+b%2Bc"),
	             0);
	cr_assert_str_eq(u.path, "/c/default/c1/s_1/api/v0/tasks");
	cr_assert_eq(u.nsegs, 7);
	cr_assert_str_eq(u.segs[3], "s_1");
	cr_assert_eq(u.trailing_slash, 0);
	cr_assert_eq(u.nparams, 6);
	cr_assert_str_eq(rh_dashboard_url_param(&u, "filter_predicates"), "=");
	cr_assert_str_eq(rh_dashboard_url_param(&u, "x"), "");
	cr_assert_str_eq(rh_dashboard_url_param(&u, "name"), "a b+c");
	cr_assert_null(rh_dashboard_url_param(&u, "missing"));
}

Test(query, keeps_repeated_keys_in_order)
{
	cr_assert_eq(rh_dashboard_url_parse(&u, "/a?k=1&k=2&k=3"), 0);
	cr_assert_eq(u.nparams, 3);
	cr_assert_str_eq(u.params[2].value, "3");
	cr_assert_str_eq(rh_dashboard_url_param(&u, "k"), "1");
}

Test(query, root_and_trailing_slash)
{
	cr_assert_eq(rh_dashboard_url_parse(&u, "/"), 0);
	cr_assert_eq(u.nsegs, 0);
	cr_assert_str_eq(u.path, "/");
	cr_assert(u.trailing_slash);
	rh_dashboard_url_dispose(&u);
	cr_assert_eq(rh_dashboard_url_parse(&u, "/api/jobs/"), 0);
	cr_assert_eq(u.nsegs, 2);
	cr_assert(u.trailing_slash);
	rh_dashboard_url_dispose(&u);
	cr_assert_eq(rh_dashboard_url_parse(&u, "//api//jobs"), 0);
	cr_assert_eq(u.nsegs, 2);
}

Test(query, accepts_absolute_form)
{
	cr_assert_eq(rh_dashboard_url_parse(
			     &u, "http://example.test:8080/nodes?view=summary"),
	             0);
	cr_assert_str_eq(u.path, "/nodes");
	cr_assert_str_eq(rh_dashboard_url_param(&u, "view"), "summary");
}

static void
refused(const char *target, const char *needle)
{
	rh_dashboard_url v = RH_DASHBOARD_URL_INIT;

	cr_assert_eq(rh_dashboard_url_parse(&v, target), RH_EINVAL, "%s",
	             target);
	cr_assert(strstr(rh_error_last(), needle),
	          "%s: message \"%s\" lacks \"%s\"", target, rh_error_last(),
	          needle);
	rh_dashboard_url_dispose(&v);
}

Test(query, refuses_path_tricks)
{
	refused("/c/a/b/c/../../etc/passwd", "\"..\"");
	refused("/c/%2e%2e/x", "\"..\"");
	refused("/c/%2E%2E/x", "\"..\"");
	refused("/c/./x", "\".\"");
	refused("/c/a%2fb/x", "encoded '/'");
	refused("/c/a%2Fb/x", "encoded '/'");
	refused("/c/a%5cb/x", "encoded '/' or '\\'");
	refused("/c/a%00b", "NUL");
	refused("/api?x=%00", "NUL");
	refused("/c/%0a", "control");
	refused("/bad%zzescape", "bad percent escape");
	refused("/bad%4", "truncated");
	refused("/q?v=%", "truncated");
	refused("relative/path", "must start with '/'");
	refused("", "must start with '/'");
	refused("/has space", "space");
	refused("http://host", "no path");
}

Test(query, names_the_parameter_of_a_bad_value)
{
	refused("/api/v0/tasks?limit=%G1", "query parameter limit");
}

Test(query, limits_size)
{
	char big[RH_DASHBOARD_MAX_TARGET + 16];
	rh_buf t = RH_BUF_INIT;
	int i;

	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	refused(big, "longer than");
	for (i = 0; i < 70; i++)
		rh_buf_puts(&t, "/s");
	refused(t.ptr, "segments");
	rh_buf_clear(&t);
	rh_buf_puts(&t, "/x?");
	for (i = 0; i < 300; i++)
		rh_buf_printf(&t, "k%d=1&", i);
	refused(t.ptr, "parameters");
	rh_buf_dispose(&t);
}

Test(query, integer_values_are_strict)
{
	int64_t v;

	cr_assert_eq(
		rh_dashboard_url_parse(
			&u,
			"/x?limit=10&bad=1x&neg=-1&big=99999999999999999999&empty="),
		0);
	cr_assert_eq(rh_dashboard__param_int(&v, &u, "limit", 100, 0, 10000),
	             0);
	cr_assert_eq(v, 10);
	cr_assert_eq(rh_dashboard__param_int(&v, &u, "missing", 100, 0, 10000),
	             0);
	cr_assert_eq(v, 100);
	cr_assert_eq(rh_dashboard__param_int(&v, &u, "bad", 0, 0, 10),
	             RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "bad:"));
	cr_assert_eq(rh_dashboard__param_int(&v, &u, "neg", 0, 0, 10),
	             RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "out of range"));
	cr_assert_eq(rh_dashboard__param_int(&v, &u, "neg", 0, -1, 10), 0);
	cr_assert_eq(v, -1);
	cr_assert_eq(rh_dashboard__param_int(&v, &u, "big", 0, 0, 10),
	             RH_EINVAL);
	cr_assert_eq(rh_dashboard__param_int(&v, &u, "empty", 0, 0, 10),
	             RH_EINVAL);
}

Test(query, booleans_and_enums)
{
	static const char *const fmts[] = { "leading_1", "text", NULL };
	int b, e;

	cr_assert_eq(rh_dashboard_url_parse(
			     &u, "/x?a=1&b=False&c=maybe&f=text&g=html"),
	             0);
	cr_assert_eq(rh_dashboard__param_bool(&b, &u, "a", 0), 0);
	cr_assert_eq(b, 1);
	cr_assert_eq(rh_dashboard__param_bool(&b, &u, "b", 1), 0);
	cr_assert_eq(b, 0);
	cr_assert_eq(rh_dashboard__param_bool(&b, &u, "c", 0), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "c:"));
	cr_assert_eq(rh_dashboard__param_enum(&e, &u, "f", fmts, 0), 0);
	cr_assert_eq(e, 1);
	cr_assert_eq(rh_dashboard__param_enum(&e, &u, "g", fmts, 0), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "leading_1, text"));
}

Test(query, camel_case_as_ray)
{
	rh_buf b = RH_BUF_INIT;

	rh_dashboard__camel(&b, "object_store_memory");
	cr_assert_str_eq(b.ptr, "objectStoreMemory");
	rh_buf_clear(&b);
	rh_dashboard__camel(&b, "node:__internal_head__");
	cr_assert_str_eq(b.ptr, "node:InternalHead");
	rh_buf_clear(&b);
	rh_dashboard__camel(&b, "CPU");
	cr_assert_str_eq(b.ptr, "CPU");
	rh_buf_clear(&b);
	rh_dashboard__camel(&b, "accelerator_type:a100");
	cr_assert_str_eq(b.ptr, "acceleratorType:A100");
	rh_buf_dispose(&b);
}

Test(query, json_writer_prints_like_python)
{
	rh_buf b = RH_BUF_INIT;
	rh__jw w;

	rh__jw_init(&w, &b);
	rh__jw_arr(&w);
	rh__jw_num(&w, 2.0);
	rh__jw_num(&w, 0.1);
	rh__jw_num(&w, 1762989077136.2407);
	/* timeline "ts" in microseconds: Python prints these positionally */
	rh__jw_num(&w, 1786153558000000.0);
	rh__jw_num(&w, 1786153558000000.5);
	rh__jw_num(&w, 1e16);
	rh__jw_num(&w, 1.5e-7);
	rh__jw_num(&w, NAN);
	rh__jw_str(&w, "a\"b\n\x01");
	rh__jw_obj(&w);
	rh__jw_kint(&w, "k", -3);
	rh__jw_knull(&w, "n");
	rh__jw_end(&w);
	rh__jw_end(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_str_eq(
		b.ptr,
		"[2.0,0.1,1762989077136.2407,1786153558000000.0,"
		"1786153558000000.5,1e+16,1.5e-07,null,\"a\\\"b\\n\\u0001\",{\"k\":-3,\"n\":null}]");
	rh_buf_dispose(&b);
}
