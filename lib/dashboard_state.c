/* dashboard_state.c - the state API (/api/v0/<resource>[/summarize]) and the
 * job API (/api/jobs/...): Ray's query options (§3.3), its list and summary
 * envelopes (§3.2), rows from the session index. */
#include "dashboard_routes.h"

#include <stdio.h>

#define MAX_LIMIT 10000

typedef rh_dash_state_opts state_opts;

int
rh_dashboard__state_opts(rh_dash_ctx *c, state_opts *o, int64_t def_limit)
{
	const rh_dashboard_url *u = c->url;
	rh_query_options init = RH_QUERY_OPTIONS_INIT;
	size_t nk = 0, np = 0, nv = 0, i;
	int64_t timeout;
	int error;

	memset(o, 0, sizeof(*o));
	o->q = init;
	o->q.at_ns = c->at_ns;
	if ((error = rh_dashboard__param_int(&o->limit, u, "limit", def_limit,
	                                     0, MAX_LIMIT)) < 0) {
		const char *v = rh_dashboard_url_param(u, "limit");
		char *end;
		long long n = v ? strtoll(v, &end, 10) : 0;
		if (v && *v && !*end && n > MAX_LIMIT)
			rh__error(RH_EINVAL,
			          "limit: given limit %lld exceeds "
			          "the supported limit %d; use a lower limit",
			          n, MAX_LIMIT);
		return error;
	}
	if ((error = rh_dashboard__param_int(&timeout, u, "timeout", 30, 1,
	                                     86400)) < 0 ||
	    (error = rh_dashboard__param_bool(&o->q.detail, u, "detail", 0)) <
	            0 ||
	    (error = rh_dashboard__param_bool(&o->q.exclude_driver, u,
	                                      "exclude_driver", 1)) < 0)
		return error;
	for (i = 0; i < u->nparams; i++) {
		const rh_dashboard_param *p = &u->params[i];
		if (!strcmp(p->key, "filter_keys") ||
		    !strcmp(p->key, "filter_predicates") ||
		    !strcmp(p->key, "filter_values")) {
			size_t *cnt = p->key[7] == 'k' ? &nk :
			              p->key[7] == 'p' ? &np :
			                                 &nv;
			if (*cnt >= RH_DASH_MAX_FILTERS)
				return rh__error(RH_EINVAL,
				                 "%s: more than %d "
				                 "filters",
				                 p->key, RH_DASH_MAX_FILTERS);
			if (p->key[7] == 'k')
				o->filters[*cnt].key = p->value;
			else if (p->key[7] == 'p')
				o->filters[*cnt].op = p->value;
			else
				o->filters[*cnt].value = p->value;
			(*cnt)++;
		}
	}
	if (nk != nv || nk != np)
		return rh__error(RH_EINVAL,
		                 "filter_keys, filter_predicates and "
		                 "filter_values: given %zu, %zu and %zu; each "
		                 "filter needs all three",
		                 nk, np, nv);
	for (i = 0; i < nk; i++) {
		if (strcmp(o->filters[i].op, "=") &&
		    strcmp(o->filters[i].op, "!="))
			return rh__error(RH_EINVAL,
			                 "filter_predicates: \"%.20s\" "
			                 "is not supported; use = or !=",
			                 o->filters[i].op);
		if (!*o->filters[i].key)
			return rh__error(RH_EINVAL, "filter_keys: empty column "
			                            "name");
	}
	o->q.filters = o->filters;
	o->q.nfilters = nk;
	o->q.limit = o->limit ? (uint64_t)o->limit : 1;
	o->q.count = 1;
	return 0;
}

uint64_t
rh_dashboard__warning_count(const rh_dash_snap *s)
{
	return s ? s->nwarn + rh_index_warning_count(s->ix) : 0;
}

const char *
rh_dashboard__warning(const rh_dash_snap *s, uint64_t i)
{
	const char *p, *w;

	if (!s)
		return "";
	if (i < s->nwarn) {
		for (p = s->warn.ptr; i--; p += strlen(p) + 1)
			;
		return p;
	}
	w = rh_index_warning(s->ix, (size_t)(i - s->nwarn));
	return w ? w : "";
}

/* Ray's ListApiResponse.warnings (Optional[List[str]]): null when the whole
 * session was read; else one string per object skipped. */
void
rh_dashboard__jw_warnings(rh__jw *w, const rh_dash_snap *s)
{
	uint64_t n = rh_dashboard__warning_count(s), i;
	char more[96];

	rh__jw_key(w, "warnings");
	if (!n) {
		rh__jw_null(w);
		return;
	}
	rh__jw_arr(w);
	for (i = 0; i < n && *rh_dashboard__warning(s, i); i++)
		rh__jw_str(w, rh_dashboard__warning(s, i));
	if (i < n) {
		snprintf(more, sizeof(more),
		         "%llu more damaged objects skipped",
		         (unsigned long long)(n - i));
		rh__jw_str(w, more);
	}
	rh__jw_end(w);
}

/* Ray's list envelope around `rows` (JSON text); *rows_at is where they
 * went in w's buffer. */
static void
list_envelope(rh__jw *w, const rh_query_counts *k, const char *rows,
              const char *result_key, size_t *rows_at, const rh_dash_snap *s)
{
	rh_dashboard__envelope_begin(w, "");
	rh__jw_key(w, result_key);
	rh__jw_obj(w);
	rh__jw_kint(w, "total", (int64_t)k->total);
	rh__jw_kint(w, "num_after_truncation", (int64_t)k->total);
	rh__jw_kint(w, "num_filtered",
	            (int64_t)(k->num_filtered == UINT64_MAX ? k->returned :
	                                                      k->num_filtered));
	rh__jw_key(w, "result");
	if (rows_at)
		*rows_at = w->b->size;
	rh__jw_raw(w, rows);
	rh__jw_kstr(w, "partial_failure_warning", "");
	rh_dashboard__jw_warnings(w, s);
	rh__jw_end(w);
	rh__jw_end(w);
	rh_dashboard__envelope_end(w);
}

/* Put the envelope `env`, written around a 2-byte "[]" at `at`, around the
 * rows that fill `body`: the rows are not copied to a second buffer of
 * their size (a 1,000-row page is 1.5 MB), only moved up in this one. */
static int
wrap_rows(rh_buf *body, const rh_buf *env, size_t at)
{
	size_t n = body->size, tail = env->size - at - 2;
	int error;

	if ((error = rh_buf_grow(body, at + n + tail)) < 0)
		return error;
	memmove(body->ptr + at, body->ptr, n);
	memcpy(body->ptr, env->ptr, at);
	memcpy(body->ptr + at + n, env->ptr + at + 2, tail);
	body->size = at + n + tail;
	body->ptr[body->size] = '\0';
	return 0;
}

int
rh_dashboard__state_list(rh_dash_ctx *c, rh_entity what)
{
	rh_query_counts k = { 0, 0, 0 };
	rh_buf env = RH_BUF_INIT, *body = &c->resp->body;
	state_opts o;
	size_t at = 0;
	rh__jw w;
	int error;

	if ((error = rh_dashboard__state_opts(c, &o, 100)) < 0)
		return rh_dashboard__fail_code(c, error);
	rh_buf_clear(body);
	if ((error = rh_dashboard_list_json(body, &k, c->snap->ix, what,
	                                    &o.q)) < 0) {
		error = rh_dashboard__fail_code(c, error);
		goto done;
	}
	if (o.limit == 0 || !body->size) {
		rh_buf_clear(body);
		rh_buf_puts(body, "[]");
	}
	rh__jw_init(&w, &env);
	list_envelope(&w, &k, "[]", "result", &at, c->snap);
	if (!w.err)
		w.err = wrap_rows(body, &env, at);
	w.b = body;
	error = rh_dashboard__reply_jw(c, &w);
done:
	rh_buf_dispose(&env);
	return error;
}

int
rh_dashboard__state_empty(rh_dash_ctx *c)
{
	rh_query_counts k = { 0, 0, 0 };
	state_opts o;
	rh__jw w;
	int error;

	if ((error = rh_dashboard__state_opts(c, &o, 100)) < 0)
		return rh_dashboard__fail_code(c, error);
	rh__jw_init(&w, &c->resp->body);
	list_envelope(&w, &k, "[]", "result", NULL, c->snap);
	return rh_dashboard__reply_jw(c, &w);
}

int
rh_dashboard__state_summary(rh_dash_ctx *c, const char *what)
{
	static const char *const task_by[] = { "func_name", "lineage", NULL };
	rh_query_counts k = { 0, 0, 0 };
	rh_buf sum = RH_BUF_INIT;
	state_opts o;
	int by = 0, error;
	rh__jw w;

	if ((error = rh_dashboard__state_opts(c, &o, MAX_LIMIT)) < 0)
		return rh_dashboard__fail_code(c, error);
	if (!strcmp(what, "tasks")) {
		if ((error = rh_dashboard__param_enum(&by, c->url, "summary_by",
		                                      task_by, 0)) < 0)
			return rh_dashboard__fail_code(c, error);
		o.q.exclude_driver = 1;
		error = rh_dashboard_summary_json(
			&sum, &k, c->snap->ix,
			by ? RH_SUMMARY_TASKS_BY_LINEAGE :
			     RH_SUMMARY_TASKS_BY_FUNC,
			&o.q);
	} else if (!strcmp(what, "actors")) {
		error = rh_dashboard_summary_json(&sum, &k, c->snap->ix,
		                                  RH_SUMMARY_ACTORS_BY_CLASS,
		                                  &o.q);
	} else {
		error = rh_buf_puts(
			&sum, "{\"summary\":{},\"total_objects\":0,"
			      "\"total_size_mb\":0.0,\"callsite_enabled\":"
			      "false,\"summary_by\":\"callsite\"}");
	}
	if (error < 0) {
		error = rh_dashboard__fail_code(c, error);
		goto done;
	}
	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "");
	rh__jw_key(&w, "result");
	rh__jw_obj(&w);
	rh__jw_kint(&w, "total", (int64_t)k.total);
	rh__jw_kint(&w, "num_after_truncation", (int64_t)k.total);
	rh__jw_kint(
		&w, "num_filtered",
		(int64_t)(k.num_filtered == UINT64_MAX ? 0 : k.num_filtered));
	rh__jw_key(&w, "result");
	rh__jw_obj(&w);
	rh__jw_key(&w, "node_id_to_summary");
	rh__jw_obj(&w);
	rh__jw_key(&w, "cluster");
	rh__jw_raw(&w, sum.ptr);
	rh__jw_end(&w);
	rh__jw_end(&w);
	rh__jw_kstr(&w, "partial_failure_warning", "");
	rh_dashboard__jw_warnings(&w, c->snap);
	rh_dashboard__envelope_end(&w);
	error = rh_dashboard__reply_jw(c, &w);
done:
	rh_buf_dispose(&sum);
	return error;
}

/* ---- /api/jobs/ ----------------------------------------------------------------- */

/* Append the rows of a JSON array (without its brackets) to out. */
static int
splice(rh_buf *out, const rh_buf *arr)
{
	const char *p = arr->ptr, *e;

	if (!p)
		return 0;
	while (*p == ' ' || *p == '\n')
		p++;
	e = arr->ptr + arr->size;
	while (e > p && (e[-1] == ' ' || e[-1] == '\n'))
		e--;
	if (*p != '[' || e - p < 2 || e[-1] != ']')
		return rh__error(RH_ECORRUPT, "job rows are not a JSON array");
	p++, e--;
	while (p < e && (*p == ' ' || *p == '\n'))
		p++;
	if (p == e)
		return 0;
	if (out->size > 1 && out->ptr[out->size - 1] != '[' &&
	    rh_buf_put(out, ",", 1) < 0)
		return RH_ENOMEM;
	return rh_buf_put(out, p, (size_t)(e - p));
}

static int
jobs_query(rh_buf *out, rh_dash_ctx *c, const char *key, const char *value,
           uint64_t limit)
{
	rh_query_options q = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { key, "=", value };

	q.filters = &f;
	q.nfilters = 1;
	q.limit = limit;
	q.detail = 1;
	q.exclude_driver = 0;
	q.count = 0;
	q.at_ns = c->at_ns;
	return rh_dashboard_list_json(out, NULL, c->snap->ix, RH_ENTITY_JOB,
	                              &q);
}

static int
job_id_ok(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n > 200)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = id[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		      ch == '.' || ch == ':'))
			return 0;
	}
	return 1;
}

int
rh_dashboard__jobs(rh_dash_ctx *c)
{
	rh_buf a = RH_BUF_INIT, b = RH_BUF_INIT;
	rh_buf *body = &c->resp->body;
	const char *id;
	size_t n = c->nsegs - 1; /* after "api" */
	int error;

	if (n == 1) {
		/* Submission jobs first, then driver jobs, as Ray lists them. */
		if ((error = jobs_query(&a, c, "type", "SUBMISSION", 0)) < 0 ||
		    (error = jobs_query(&b, c, "type", "DRIVER", 0)) < 0) {
			error = rh_dashboard__fail_code(c, error);
			goto done;
		}
		if ((error = rh_buf_puts(body, "[")) < 0 ||
		    (error = splice(body, &a)) < 0 ||
		    (error = splice(body, &b)) < 0 ||
		    (error = rh_buf_puts(body, "]")) < 0)
			goto done;
		error = rh_dashboard__reply(c, 200, "application/json");
		goto done;
	}
	id = c->segs[2];
	if (!job_id_ok(id)) {
		error = rh_dashboard__fail(
			c, 400,
			"job id \"%.60s\": only "
			"letters, digits and _-.: are allowed",
			id);
		goto done;
	}
	if (n == 3 && !strcmp(c->segs[3], "logs")) {
		error = rh_dashboard__job_logs(c, id);
		goto done;
	}
	if (n != 2) {
		error = rh_dashboard__fail(c, 404, "%s: no such API path",
		                           c->sub);
		goto done;
	}
	if ((error = jobs_query(&a, c, "job_id", id, 1)) < 0 ||
	    (a.size <= 2 &&
	     (error = jobs_query(&b, c, "submission_id", id, 1)) < 0)) {
		error = rh_dashboard__fail_code(c, error);
		goto done;
	}
	if ((error = splice(body, a.size > 2 ? &a : &b)) < 0)
		goto done;
	if (body->size == 0) {
		rh_buf_clear(body);
		if ((error = rh_buf_printf(body, "Job %s does not exist",
		                           id)) == 0)
			error = rh_dashboard__reply(
				c, 404, "text/plain; charset=utf-8");
		goto done;
	}
	error = rh_dashboard__reply(c, 200, "application/json");
done:
	rh_buf_dispose(&a);
	rh_buf_dispose(&b);
	return error;
}
