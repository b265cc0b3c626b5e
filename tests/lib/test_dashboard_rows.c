/* Tests of the typed rows (lib/dashboard_rows.c rh_dashboard_row_walk, and
 * lib/index_query.c rh_row_value): they give what rh_dashboard_row_json()
 * writes, field for field, so a program printing them (rayhist-ls) shows
 * the state API's rows without parsing JSON. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <string.h>

#include "internal.h"

static const rh_transition trans[] = {
	{ RH_TASK_PENDING_ARGS_AVAIL, 1762989058969123456 },
	{ RH_TASK_RUNNING, 1762989059861000001 },
	{ RH_TASK_FAILED, 1762989060292999999 },
};
static const rh_event_profile prof[] = {
	{ "task:execute", 1762989059861000001, 1762989060292999999,
	  "{\"name\": \"f\"}" },
	{ "task:store_outputs", 1762989060000000000, 1762989060100000000, "x" },
};

/* One row of each entity, most columns set (odd bytes in a name), some
 * unknown. */
static void
make_row(rh_row *r, rh_entity what)
{
	memset(r, 0, sizeof(*r));
	r->entity = what;
	switch (what) {
	case RH_ENTITY_TASK:
		r->u.task.task_id =
			"c8ef45ccd0112571ffffffffffffffffffffffff01000000";
		r->u.task.attempt_number = 1;
		r->u.task.name = "f\n\x7f\xff";
		r->u.task.state = RH_TASK_FAILED;
		r->u.task.job_id = "01000000";
		r->u.task.type = RH_TASK_TYPE_NORMAL_TASK;
		r->u.task.worker_pid = -1;
		r->u.task.error_type = "TASK_EXECUTION_EXCEPTION";
		r->u.task.required_resources = "{\"CPU\": 1.0}";
		r->u.task.is_debugger_paused = -1;
		r->u.task.creation_time_ns = trans[0].time_ns;
		r->u.task.start_time_ns = trans[1].time_ns;
		r->u.task.end_time_ns = RH_TIME_NONE;
		r->u.task.transitions = trans;
		r->u.task.ntransitions = 3;
		r->u.task.component_type = "worker";
		r->u.task.profile = prof;
		r->u.task.nprofile = 2;
		r->u.task.has_log_info = 1;
		r->u.task.log_info.stdout_file = "worker-1.out";
		r->u.task.log_info.stdout_start = 10;
		r->u.task.log_info.stdout_end = 20;
		r->u.task.log_info.stderr_start = -1;
		r->u.task.log_info.stderr_end = -1;
		break;
	case RH_ENTITY_ACTOR:
		r->u.actor.actor_id = "cc84f823e206eed2c5e5e71801000000";
		r->u.actor.class_name = "Trainer";
		r->u.actor.state = RH_ACTOR_ALIVE;
		r->u.actor.pid = 119;
		r->u.actor.is_detached = 0;
		r->u.actor.num_restarts = -1;
		break;
	case RH_ENTITY_JOB:
		r->u.job.type = RH_JOB_TYPE_SUBMISSION;
		r->u.job.submission_id = "raysubmit_1";
		r->u.job.status = RH_JOB_FAILED;
		r->u.job.error_type = "JOB_SUPERVISOR_ACTOR_DIED";
		r->u.job.driver_pid = 4242;
		r->u.job.driver_exit_code = -1;
		r->u.job.start_time_ns = 1762989058969123456;
		r->u.job.end_time_ns = RH_TIME_NONE;
		break;
	case RH_ENTITY_NODE:
		r->u.node.node_id = "c24ba5e9";
		r->u.node.is_head_node = 1;
		r->u.node.state = RH_NODE_DEAD;
		r->u.node.state_message = "killed";
		r->u.node.labels = "{}";
		r->u.node.start_time_ns = RH_TIME_NONE;
		r->u.node.end_time_ns = 1762989060292999999;
		break;
	case RH_ENTITY_WORKER:
		r->u.worker.worker_id = "add6dc2d";
		r->u.worker.is_alive = 0;
		r->u.worker.worker_type = "WORKER";
		r->u.worker.pid = 7;
		r->u.worker.start_time_ns = 1762989058969123456;
		r->u.worker.end_time_ns = RH_TIME_NONE;
		break;
	case RH_ENTITY_PLACEMENT_GROUP:
		r->u.pg.placement_group_id = "9d1f";
		r->u.pg.state = RH_PG_CREATED;
		r->u.pg.is_detached = -1;
		r->u.pg.bundles = "[{\"CPU\": 1}]";
		break;
	default:
		r->u.event.event_id = "e1";
		r->u.event.severity = "INFO";
		r->u.event.time_ns = 1762989058969123456;
		r->u.event.custom_fields = "{\"job_id\": \"01000000\"}";
		r->u.event.job_id = "01000000";
	}
}

/* The walk, rebuilt as json-c values (as rayhist-ls does). */
struct build {
	json_object *stack[16];
	int depth;
};

static json_object *
value_json(const rh_value *v)
{
	rh_buf b = RH_BUF_INIT;
	json_object *o = NULL;

	switch (v->type) {
	case RH_VALUE_STRING:
		cr_assert_eq(rh_buf_put_utf8(&b, v->s, strlen(v->s)), 0);
		o = json_object_new_string_len(b.ptr ? b.ptr : "", (int)b.size);
		rh_buf_dispose(&b);
		return o;
	case RH_VALUE_INT: return json_object_new_int64(v->i);
	case RH_VALUE_BOOL: return json_object_new_boolean(v->i != 0);
	case RH_VALUE_FLOAT: return json_object_new_double_s(v->d, v->s);
	case RH_VALUE_JSON:
		cr_assert_not_null(o = json_tokener_parse(v->s), "%s", v->s);
		return o;
	default: cr_assert_eq(v->type, RH_VALUE_NULL); return NULL;
	}
}

static void
put(struct build *b, const char *key, json_object *o)
{
	if (key)
		json_object_object_add(b->stack[b->depth - 1], key, o);
	else
		json_object_array_add(b->stack[b->depth - 1], o);
}

static int
on_value(const char *key, const rh_value *v, void *payload)
{
	put(payload, key, value_json(v));
	return 0;
}

static int
on_open(const char *key, int is_array, void *payload)
{
	struct build *b = payload;
	json_object *o =
		is_array ? json_object_new_array() : json_object_new_object();

	put(b, key, o);
	b->stack[b->depth++] = o;
	return 0;
}

static int
on_close(void *payload)
{
	((struct build *)payload)->depth--;
	return 0;
}

static const rh_dashboard_row_visitor visitor = {
	RH_DASHBOARD_ROW_VISITOR_VERSION,
	on_value,
	on_open,
	on_close,
};

static int
stop_at_third(const char *key, const rh_value *v, void *payload)
{
	(void)key, (void)v;
	return ++*(int *)payload == 3 ? 42 : 0;
}

static int
no_open(const char *key, int is_array, void *payload)
{
	(void)key, (void)is_array, (void)payload;
	return 0;
}

static int
no_close(void *payload)
{
	(void)payload;
	return 0;
}

Test(dashboard_rows, walk_gives_the_json_fields_in_order)
{
	int e, detail;

	for (e = 0; e < RH_ENTITY_COUNT; e++)
		for (detail = 0; detail < 2; detail++) {
			rh_row row;
			rh_buf out = RH_BUF_INIT;
			struct build b;
			json_object *parsed;
			char *want;

			make_row(&row, (rh_entity)e);
			cr_assert_eq(rh_dashboard_row_json(&out, &row, detail),
			             0);
			cr_assert_not_null(parsed = json_tokener_parse(out.ptr),
			                   "%s", out.ptr);
			b.stack[0] = json_object_new_object();
			b.depth = 1;
			cr_assert_eq(rh_dashboard_row_walk(&row, detail,
			                                   &visitor, &b),
			             0, "%s", rh_error_last());
			cr_assert_eq(b.depth, 1, "open and close do not pair");
			want = strdup(json_object_to_json_string_ext(
				parsed, JSON_C_TO_STRING_PLAIN));
			cr_assert_str_eq(
				json_object_to_json_string_ext(
					b.stack[0], JSON_C_TO_STRING_PLAIN),
				want, "%s detail %d", rh_entity_name(e),
				detail);
			free(want);
			json_object_put(parsed);
			json_object_put(b.stack[0]);
			rh_buf_dispose(&out);
		}
}

Test(dashboard_rows, walk_stops_where_a_callback_says)
{
	static const rh_dashboard_row_visitor stop = {
		RH_DASHBOARD_ROW_VISITOR_VERSION,
		stop_at_third,
		no_open,
		no_close,
	};
	rh_dashboard_row_visitor old = stop;
	rh_row row;
	int n = 0;

	make_row(&row, RH_ENTITY_TASK);
	cr_assert_eq(rh_dashboard_row_walk(&row, 1, &stop, &n), 42);
	cr_assert_eq(n, 3);
	old.version = 99;
	cr_assert_eq(rh_dashboard_row_walk(&row, 1, &old, &n), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "rh_dashboard_row_visitor"), "%s",
	          rh_error_last());
	old = stop;
	old.close = NULL;
	cr_assert_eq(rh_dashboard_row_walk(&row, 1, &old, &n), RH_EINVAL);
}

Test(dashboard_rows, row_value_is_the_json_column)
{
	int e;

	for (e = 0; e < RH_ENTITY_COUNT; e++) {
		rh_row row;
		rh_buf out = RH_BUF_INIT;
		json_object *doc, *j;
		const char *col;
		size_t i;

		make_row(&row, (rh_entity)e);
		cr_assert_eq(rh_dashboard_row_json(&out, &row, 1), 0);
		cr_assert_not_null(doc = json_tokener_parse(out.ptr));
		cr_assert_not_null(rh_entity_column((rh_entity)e, 0));
		for (i = 0; (col = rh_entity_column((rh_entity)e, i)); i++) {
			rh_value v;

			cr_assert_eq(rh_row_value(&v, &row, col), 0, "%s", col);
			if (!json_object_object_get_ex(doc, col, &j))
				continue; /* not a Ray column (events' job_id) */
			switch (v.type) {
			case RH_VALUE_NULL:
				/* "" for a job's absent entrypoint, as Ray */
				cr_assert(!j || !*json_object_get_string(j),
				          "%s: %s", col,
				          json_object_get_string(j));
				break;
			case RH_VALUE_STRING: {
				rh_buf m = RH_BUF_INIT;
				cr_assert_eq(
					rh_buf_put_utf8(&m, v.s, strlen(v.s)),
					0);
				cr_assert_eq(json_object_get_string_len(j),
				             (int)m.size, "%s", col);
				cr_assert_eq(memcmp(json_object_get_string(j),
				                    m.ptr, m.size),
				             0, "%s", col);
				rh_buf_dispose(&m);
				break;
			}
			case RH_VALUE_INT:
				cr_assert(json_object_is_type(j, json_type_int),
				          "%s", col);
				cr_assert_eq(json_object_get_int64(j), v.i,
				             "%s", col);
				break;
			case RH_VALUE_BOOL:
				cr_assert(json_object_is_type(
						  j, json_type_boolean),
				          "%s", col);
				cr_assert_eq(json_object_get_boolean(j), v.i,
				             "%s", col);
				break;
			default:
				cr_assert_fail("%s: type %d", col, (int)v.type);
			}
		}
		cr_assert_null(rh_entity_column((rh_entity)e, i + 1));
		json_object_put(doc);
		rh_buf_dispose(&out);
	}
	cr_assert_null(rh_entity_column(RH_ENTITY_COUNT, 0));
}

Test(dashboard_rows, row_value_names_a_missing_column)
{
	rh_row row;
	rh_value v;

	make_row(&row, RH_ENTITY_JOB);
	cr_assert_eq(rh_row_value(&v, &row, "entrypoint"), 0);
	cr_assert_eq(v.type, RH_VALUE_NULL);
	cr_assert_eq(rh_row_value(&v, &row, "error_type"), 0);
	cr_assert_eq(v.type, RH_VALUE_STRING);
	cr_assert_str_eq(v.s, "JOB_SUPERVISOR_ACTOR_DIED");
	cr_assert_eq(rh_row_value(&v, &row, "class_name"), RH_ENOTFOUND);
	cr_assert(strstr(rh_error_last(), "class_name"), "%s", rh_error_last());
	cr_assert_eq(rh_row_value(&v, NULL, "job_id"), RH_EINVAL);
}
