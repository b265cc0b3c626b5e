/* dashboard_events.c - /events and /events?job_id=: legacy cluster events
 * (logs/events/event_*.log) as Ray's event head serves them: grouped by
 * custom_fields.job_id ("global" without one), camelCase keys, the latest
 * 10000 per job (reference/ray-formats.md §4a). */
#include "dashboard_routes.h"

#include <stdio.h>

#define MAX_PER_JOB 10000

typedef struct bucket {
	char *job;
	uint64_t count, seen;
	rh_buf json;
	rh__jw w;
} bucket;

typedef struct buckets {
	bucket *b;
	size_t n;
} buckets;

static const char *
job_of(const rh_cluster_event_row *e)
{
	return e->job_id && *e->job_id ? e->job_id : "global";
}

static bucket *
bucket_get(buckets *bs, const char *job)
{
	bucket *b;
	size_t i;

	for (i = 0; i < bs->n; i++)
		if (!strcmp(bs->b[i].job, job))
			return &bs->b[i];
	if (!(b = rh__realloc(bs->b, (bs->n + 1) * sizeof(*b))))
		return NULL;
	bs->b = b;
	b = &bs->b[bs->n];
	memset(b, 0, sizeof(*b));
	if (!(b->job = rh__strdup(job)))
		return NULL;
	bs->n++;
	return b;
}

static void
buckets_free(buckets *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++) {
		free(bs->b[i].job);
		rh_buf_dispose(&bs->b[i].json);
	}
	free(bs->b);
}

static void
custom_field(rh__jw *w, json_object *cf, const char *k, const char *key)
{
	json_object *v;

	rh__jw_key(w, k);
	if (cf && json_object_object_get_ex(cf, key, &v) &&
	    json_object_is_type(v, json_type_string))
		rh__jw_str(w, json_object_get_string(v));
	else
		rh__jw_str(w, "");
}

static void
event_json(rh__jw *w, const rh_cluster_event_row *e)
{
	json_object *cf =
		e->custom_fields ? json_tokener_parse(e->custom_fields) : NULL;

	rh__jw_obj(w);
	rh__jw_kstr(w, "eventId", e->event_id);
	rh__jw_kstr(w, "jobId", e->job_id ? e->job_id : "");
	custom_field(w, cf, "nodeId", "node_id");
	custom_field(w, cf, "taskId", "task_id");
	rh__jw_kstr(w, "sourceType", e->source_type);
	rh__jw_kstr(w, "sourceHostname", e->host_name ? e->host_name : "");
	rh__jw_kstr(w, "hostName", e->host_name ? e->host_name : "");
	rh__jw_key(w, "sourcePid");
	if (e->pid >= 0)
		rh__jw_int(w, e->pid);
	else
		rh__jw_null(w);
	rh__jw_key(w, "pid");
	if (e->pid >= 0)
		rh__jw_int(w, e->pid);
	else
		rh__jw_null(w);
	rh__jw_kstr(w, "label", e->label ? e->label : "");
	rh__jw_kstr(w, "message", e->message ? e->message : "");
	rh__jw_key(w, "timestamp");
	if (e->time_ns == RH_TIME_NONE)
		rh__jw_null(w);
	else if (e->time_ns % 1000000000 == 0)
		rh__jw_int(w, e->time_ns / 1000000000);
	else
		rh__jw_num(w, (double)e->time_ns / 1e9);
	rh__jw_kstr(w, "severity", e->severity ? e->severity : "INFO");
	rh__jw_key(w, "customFields");
	if (cf && json_object_is_type(cf, json_type_object))
		rh__jw_json(w, cf, 1);
	else
		rh__jw_raw(w, "{}");
	rh__jw_end(w);
	json_object_put(cf);
}

/* Two passes over the events: count per job, then write the latest
 * MAX_PER_JOB of each. `only` keeps one job. */
static int
collect(buckets *bs, const rh_dash_snap *s, const char *only, int64_t at_ns)
{
	rh_query *q = NULL;
	const rh_row *row;
	bucket *b;
	int pass, error = 0;

	for (pass = 0; pass < 2 && !error; pass++) {
		if ((error = rh_dashboard__scan(&q, s, RH_ENTITY_CLUSTER_EVENT,
		                                NULL, 0, 0, at_ns)) < 0)
			break;
		while ((error = rh_query_next(&row, q)) == 0) {
			const rh_cluster_event_row *e = &row->u.event;
			const char *job = job_of(e);

			if (only && strcmp(job, only))
				continue;
			if (!(b = bucket_get(bs, job))) {
				error = RH_ENOMEM;
				break;
			}
			if (pass == 0) {
				b->count++;
				continue;
			}
			if (b->seen++ == 0) {
				rh__jw_init(&b->w, &b->json);
				rh__jw_arr(&b->w);
			}
			if (b->count - b->seen < MAX_PER_JOB)
				event_json(&b->w, e);
		}
		rh_query_close(q);
		q = NULL;
		if (error == RH_ITEROVER)
			error = 0;
	}
	for (size_t i = 0; !error && i < bs->n; i++) {
		b = &bs->b[i];
		if (!b->seen)
			rh_buf_puts(&b->json, "[]");
		else
			rh__jw_end(&b->w);
		if (b->w.err)
			error = b->w.err;
	}
	return error;
}

int
rh_dashboard__events(rh_dash_ctx *c)
{
	const char *job = rh_dashboard_url_param(c->url, "job_id");
	buckets bs = { NULL, 0 };
	rh__jw w;
	size_t i;
	int error;

	if (job && *job) {
		for (i = 0; job[i]; i++) {
			char ch = job[i];
			if (!((ch >= '0' && ch <= '9') ||
			      (ch >= 'a' && ch <= 'z') ||
			      (ch >= 'A' && ch <= 'Z') || ch == '_' ||
			      ch == '-') ||
			    i >= 128)
				return rh_dashboard__fail(c, 400,
				                          "job_id: \"%.40s\" "
				                          "is not a job id",
				                          job);
		}
	}
	if ((error = collect(&bs, c->snap, job, c->at_ns)) < 0) {
		buckets_free(&bs);
		return rh_dashboard__fail_code(c, error);
	}
	rh__jw_init(&w, &c->resp->body);
	if (job) {
		rh_dashboard__envelope_begin(&w, "Job events fetched.");
		rh__jw_kstr(&w, "jobId", job);
		rh__jw_key(&w, "events");
		rh__jw_raw(&w, bs.n ? bs.b[0].json.ptr : "[]");
		rh__jw_end(&w);
	} else {
		rh_dashboard__envelope_begin(&w, "All events fetched.");
		rh__jw_key(&w, "events");
		rh__jw_obj(&w);
		for (i = 0; i < bs.n; i++) {
			rh__jw_key(&w, bs.b[i].job);
			rh__jw_raw(&w, bs.b[i].json.ptr);
		}
		rh__jw_end(&w);
		rh__jw_end(&w);
	}
	rh_dashboard__envelope_end(&w);
	buckets_free(&bs);
	return rh_dashboard__reply_jw(c, &w);
}
