/* Tests of lib/events*.c, lib/events_ids.c and lib/timefmt.c: every event source
 * parses to the expected normalized records. */
#include "evtest.h"

#include <errno.h>
#include <json-c/json.h>

static char *
parse_all(const char *name, const char *data, size_t len,
          const rh_event_parse_options *opts, rh_event_stats *st, int *rc)
{
	rh_buf b = RH_BUF_INIT;

	*rc = rh_event_parse(st, name, data, len, opts, ev_dump_cb, &b);
	if (!b.ptr)
		rh_buf_puts(&b, "");
	return b.ptr;
}

static char *
parse_file(const char *rel, rh_event_stats *st)
{
	size_t len;
	char *data = ev_read_file(rel, &len), *out;
	int rc;

	out = parse_all(rel, data, len, NULL, st, &rc);
	cr_assert_eq(rc, 0, "%s: %s", rel, rh_error_last());
	free(data);
	return out;
}

/* Feed in chunks of `chunk` bytes; the records must not depend on it. */
static char *
parse_chunked(const char *name, const char *data, size_t len, size_t chunk)
{
	rh_event_parser *p;
	rh_buf b = RH_BUF_INIT;
	size_t off;

	cr_assert_eq(rh_event_parser_new(&p, name, NULL, ev_dump_cb, &b), 0);
	for (off = 0; off < len; off += chunk)
		cr_assert_eq(rh_event_parser_feed(
				     p, data + off,
				     len - off < chunk ? len - off : chunk),
		             0);
	cr_assert_eq(rh_event_parser_finish(p), 0);
	rh_event_parser_free(p);
	if (!b.ptr)
		rh_buf_puts(&b, "");
	return b.ptr;
}

static int
has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

Test(events, captured_task_events_decode_ids_times_and_log_offsets)
{
	rh_event_stats st;
	char *out = parse_file("events/rayevents-captured.jsonl", &st);

	cr_assert_eq(st.records, 3);
	cr_assert_eq(st.malformed, 0);
	cr_assert(
		has(out,
	            "TASK_DEFINITION task=5183c6372c005ef6ffffffffffffffffffffffff03000000/0 type=1 job=03000000 name=bench_task lang=PYTHON res={\"CPU\":0.2}"),
		"%s", out);
	/* 2026-08-08T01:45:57.009825296Z */
	cr_assert(
		has(out,
	            "[1@1786153557009825296] [5@1786153558209153338] [11@1786153558224019505]"),
		"%s", out);
	cr_assert(
		has(out,
	            "node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee worker=058747b57347ad6c698b59511de4e64fc37e4c7ad2b033eb7cdf7cf1"),
		"%s", out);
	cr_assert(has(out, "-215.err logs=512,-1,0,-1"), "%s", out);
	free(out);
}

Test(events, constructed_lines_of_every_other_type)
{
	rh_event_stats st;
	char *out = parse_file("events/rayevents-constructed.jsonl", &st);

	cr_assert_eq(st.malformed, 0, "%s", st.first_error);
	cr_assert_eq(st.unknown_types, 0);
	/* hex ids stay hex, lower-case */
	cr_assert(
		has(out,
	            "ACTOR_LIFECYCLE actor=aaaabbbb1234aaaabbbb1234aaaabbbb [1@1000] [2@2000]"),
		"%s", out);
	cr_assert(
		has(out,
	            "DRIVER_JOB_LIFECYCLE job=aaaabbbb [0@1000] [1@2000] [2@3000]"),
		"%s", out);
	/* array form on one line */
	cr_assert(has(out, "NODE_DEFINITION node=61626364\n"), "%s", out);
	cr_assert(
		has(out,
	            "ACTOR_DEFINITION actor=8f3b2a1c0d9e7f6a5b4c3d2e03000000 job=03000000 name= class=Counter ns=anon res={\"CPU\":0.1} renv={} callsite= labels={} detached=0"),
		"%s", out);
	cr_assert(
		has(out,
	            "[4@1786153570000000000 pid=215 death={\"actor_died_error_context\":{\"pid\":215,\"node_ip_address\":\"10.244.0.10\",\"error_message\":\"The actor is dead because its owner has died.\"}} ip=10.244.0.10 msg=The actor is dead because its owner has died.]"),
		"%s", out);
	cr_assert(
		has(out,
	            "[2@1786153559000000001 node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee worker=058747b57347ad6c698b59511de4e64fc37e4c7ad2b033eb7cdf7cf1 repr=Counter]"),
		"%s", out);
	cr_assert(
		has(out,
	            "TASK_DEFINITION task=11223344556677888f3b2a1c0d9e7f6a5b4c3d2e03000000/0 type=3 job=03000000 name=Counter.increment func=Counter.increment lang=PYTHON actor=8f3b2a1c0d9e7f6a5b4c3d2e03000000 res={}"),
		"%s", out);
	cr_assert(
		has(out,
	            "TASK_PROFILE task=5183c6372c005ef6ffffffffffffffffffffffff03000000/0 type=0 job=03000000 ctype=worker cid=058747b57347ad6c698b59511de4e64fc37e4c7ad2b033eb7cdf7cf1 ip=10.244.0.10 {task::bench_task 1786153558211147463-1786153558224019505 {\"name\": \"bench_task\""),
		"%s", out);
	cr_assert(
		has(out,
	            "DRIVER_JOB_DEFINITION job=03000000 sub=raysubmit_x entry=python main.py dnode=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee dip=10.244.0.9 dpid=568 meta={\"job_submission_id\":\"raysubmit_x\"} renv={}"),
		"%s", out);
	cr_assert(
		has(out,
	            "NODE_DEFINITION node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee ip=10.244.0.9 labels={\"ray.io/node-group\":\"headgroup\",\"ray.io/node-id\":\"0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee\"} start=1786153550500000000"),
		"%s", out);
	cr_assert(
		has(out,
	            "[0@1786153551000000000 res={\"CPU\":2.0,\"memory\":2000000000.0,\"object_store_memory\":500000000.0,\"node:10.244.0.9\":1.0,\"node:__internal_head__\":1.0}] [1@1786153800000000000 reason=EXPECTED_TERMINATION msg=received SIGTERM]"),
		"%s", out);
	free(out);
}

/* Rename keys camelCase -> snake_case as protobuf does with
 * preserving_proto_field_name, leaving map keys (resources, labels...) be. */
static int
is_map_field(const char *k)
{
	static const char *const maps[] = {
		"requiredResources", "labels", "labelSelector", "resources",
		"metadata",          "refIds", "taskState",     NULL,
	};
	int i;

	for (i = 0; maps[i]; i++)
		if (!strcmp(k, maps[i]))
			return 1;
	return 0;
}

static json_object *
snake(json_object *o)
{
	json_object *r;
	size_t i;

	if (json_object_is_type(o, json_type_array)) {
		r = json_object_new_array();
		for (i = 0; i < json_object_array_length(o); i++)
			json_object_array_add(
				r, snake(json_object_array_get_idx(o, i)));
		return r;
	}
	if (!json_object_is_type(o, json_type_object))
		return json_object_get(o);
	r = json_object_new_object();
	json_object_object_foreach(o, k, v)
	{
		char name[256];
		size_t n = 0;
		const char *c;

		for (c = k; *c && n < sizeof(name) - 2; c++) {
			if (*c >= 'A' && *c <= 'Z') {
				name[n++] = '_';
				name[n++] = (char)(*c + 32);
			} else {
				name[n++] = *c;
			}
		}
		name[n] = '\0';
		json_object_object_add(r, name,
		                       is_map_field(k) ? json_object_get(v) :
		                                         snake(v));
	}
	return r;
}

static char *
to_snake_lines(const char *data)
{
	rh_buf b = RH_BUF_INIT;
	const char *line = data, *nl;

	while (*line) {
		char tmp[8192];
		json_object *o, *s;
		size_t n;

		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) : strlen(line);
		cr_assert_lt(n, sizeof(tmp));
		memcpy(tmp, line, n);
		tmp[n] = '\0';
		o = json_tokener_parse(tmp);
		cr_assert_not_null(o, "%s", tmp);
		s = snake(o);
		rh_buf_puts(&b, json_object_to_json_string_ext(
					s, JSON_C_TO_STRING_PLAIN));
		rh_buf_puts(&b, "\n");
		json_object_put(o);
		json_object_put(s);
		line = nl ? nl + 1 : line + n;
	}
	return b.ptr;
}

Test(events, snake_case_gives_the_same_records)
{
	const char *files[] = { "events/rayevents-captured.jsonl",
		                "events/rayevents-constructed.jsonl" };
	size_t i, len;
	int rc;

	for (i = 0; i < 2; i++) {
		char *data = ev_read_file(files[i], &len);
		char *sn = to_snake_lines(data);
		char *a = parse_all("batch", data, len, NULL, NULL, &rc);
		char *b;

		cr_assert_eq(rc, 0);
		cr_assert(has(sn, "\"event_type\":"), "%s", sn);
		b = parse_all("batch", sn, strlen(sn), NULL, NULL, &rc);
		cr_assert_eq(rc, 0, "%s", rh_error_last());
		cr_assert_str_eq(a, b);
		free(a);
		free(b);
		free(sn);
		free(data);
	}
}

Test(events, chunked_input_and_json_array_give_the_same_records)
{
	size_t len, chunks[] = { 1, 2, 7, 64, 1000 }, i;
	char *data = ev_read_file("events/rayevents-constructed.jsonl", &len);
	char *whole, *arr;
	rh_buf b = RH_BUF_INIT;
	const char *line;
	int rc;

	whole = parse_all("batch", data, len, NULL, NULL, &rc);
	for (i = 0; i < RH_ARRAY_SIZE(chunks); i++) {
		char *c = parse_chunked("batch", data, len, chunks[i]);

		cr_assert_str_eq(whole, c, "chunk %zu", chunks[i]);
		free(c);
	}
	/* the same events as one pretty-printed JSON array (the specimen's
	 * one-element array line is unwrapped) */
	rh_buf_puts(&b, "[\n");
	for (line = data; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (b.size > 2)
			rh_buf_puts(&b, ",\n  ");
		if (line[0] == '[')
			rh_buf_put(&b, line + 1, n - 2);
		else
			rh_buf_put(&b, line, n);
		line += n + (nl ? 1 : 0);
	}
	rh_buf_puts(&b, "\n]\n");
	arr = parse_all("batch", b.ptr, b.size, NULL, NULL, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(whole, arr);
	for (i = 0; i < RH_ARRAY_SIZE(chunks); i++) {
		char *c = parse_chunked("batch", b.ptr, b.size, chunks[i]);

		cr_assert_str_eq(whole, c, "array chunk %zu", chunks[i]);
		free(c);
	}
	free(arr);
	free(whole);
	rh_buf_dispose(&b);
	free(data);
}

Test(events, legacy_lines_of_both_writers)
{
	rh_event_stats st;
	char *out = parse_file("events/legacy-events.jsonl", &st);

	cr_assert_eq(st.records, 2);
	cr_assert(
		has(out,
	            "CLUSTER eid=1Ac5EF8dC3B20F78 t=1770635705000000000 src=JOBS host=raycluster-head-6gvqk pid=568 sev=INFO msg=Started a ray job rayjob-abc. fields={\"job_id\":\"01000000\",\"submission_id\":\"rayjob-abc\"} job=01000000\n"),
		"%s", out);
	cr_assert(
		has(out,
	            "CLUSTER eid=de150792ceb151c815d359d4b675fcc6266a t=1770635700000000000 src=GCS host=raycluster-head-6gvqk pid=20830 sev=INFO label=RAY_NODE_ADDED msg=Node added\nwith a second line fields="),
		"%s", out);
	free(out);
}

Test(events, export_events_of_every_source)
{
	rh_event_stats st;
	char *out = parse_file("events/export-events.jsonl", &st);

	cr_assert_eq(st.malformed, 0, "%s", st.first_error);
	cr_assert_eq(st.unknown_types, 1); /* EXPORT_TRAIN_RUN */
	cr_assert(
		has(out,
	            "TASK_DEFINITION eid=3f2a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e t=1725389534000000000 task=c8ef45ccd0112571ffffffffffffffffffffffff01000000/0 type=1 job=01000000 name=test_task func=test_task lang=PYTHON parent=ffffffffffffffffffffffffffffffffffffffff01000000 res={\"CPU\":1.0} renv={\"serialized_runtime_env\":\"{}\"}"),
		"%s", out);
	/* new numbering (key 11 present): 8 = RUNNING, 11 = FINISHED */
	cr_assert(
		has(out,
	            "[1@1725389534467290000] [2@1725389534467402000] [5@1725389534469074000] [8@1725389534470000000] [11@1725389534480000000] node=66fc5323ac7d765305a8c9481c4ac9a60e541062b520db0a856db3ca worker=84cc9b08d608162fbfc889d862175cfaa1fcc8c17ae63ffcfae0939b pid=4242"),
		"%s", out);
	/* old numbering guessed (10 without 8): 6 = RUNNING, 10 = FAILED;
	 * ANSI colours stripped */
	cr_assert(
		has(out,
	            "task=c8ef45ccd0112571ffffffffffffffffffffffff01000000/1 type=0 job=01000000 [1@1725389535000000000] [8@1725389535100000000] [12@1725389535200000000] etype=TASK_EXECUTION_EXCEPTION emsg=ValueError: boom out=/tmp/ray/session_x/logs/worker-84cc-01000000-4242.out err=/tmp/ray/session_x/logs/worker-84cc-01000000-4242.err logs=100,250,0,42"),
		"%s", out);
	cr_assert(
		has(out,
	            "SUBMISSION_JOB eid=9fA03bC1d2E4f5a6B9 t=1725389540000000000 sub=raysubmit_abc entry=python x.py meta={\"job_name\":\"x\"} renv={\"pip\": [\"requests\"]} msg=Job finished successfully. exit=0 start=1725389530000000000 end=1725389540000000000 [3@1725389540000000000 msg=Job finished successfully.]"),
		"%s", out);
	cr_assert(
		has(out,
	            "ACTOR_LIFECYCLE eid=a2 t=1725389545000000000 actor=d0016d9e0717b44a31c2a98901000000 job=01000000 name= class=A ns=ns1 res={} renv={} detached=0 [4@1725389545000000000 pid=4321 death={\"actor_died_error_context\":{\"error_message\":\"The actor is dead because its worker process has died.\",\"pid\":4321,\"node_ip_address\":\"127.0.0.1\"}} ip=127.0.0.1 msg=The actor is dead because its worker process has died.]"),
		"%s", out);
	cr_assert(
		has(out,
	            "NODE_LIFECYCLE eid=n2 t=1725389550000000000 node=d327d15f57b1f95b5c0be4c55e35dc81eb1da6713033bebea44013ad ip=127.0.0.1 name=127.0.0.1 labels={} res={\"CPU\":1.0} head=1 start=1725389530000000000 end=1725389550000000000 [0@1725389530000000000 res={\"CPU\":1.0}] [1@1725389550000000000 reason=EXPECTED_TERMINATION msg=received SIGTERM]"),
		"%s", out);
	cr_assert(
		has(out,
	            "DRIVER_JOB_LIFECYCLE eid=j1 t=1725389541000000000 job=01000000 sub=raysubmit_abc entry=python x.py dip=127.0.0.1 dpid=59360 meta={\"job_submission_id\":\"raysubmit_abc\"} start=1725389530000000000 end=1725389541000000000 dead=1 [1@1725389530000000000] [2@1725389541000000000]"),
		"%s", out);
	free(out);
}

Test(events, export_numbering_follows_the_ray_version)
{
	const char *line =
		"{\"event_data\":{\"task_id\":\"yO9FzNARJXH///////////////8BAAAA\",\"state_updates\":{\"state_ts_ns\":{\"6\":\"10\",\"8\":\"20\"}}},\"event_id\":\"x\",\"source_type\":\"EXPORT_TASK\",\"timestamp\":1}\n";
	rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;
	char *out;
	int rc;

	out = parse_all("export_events/event_EXPORT_TASK_1.log", line,
	                strlen(line), &o, NULL, &rc);
	cr_assert(has(out, "[6@10] [8@20]"), "%s", out); /* unknown: new */
	free(out);
	o.ray_version = "2.35.0";
	out = parse_all("export_events/event_EXPORT_TASK_1.log", line,
	                strlen(line), &o, NULL, &rc);
	cr_assert(has(out, "[8@10] [10@20]"), "%s", out);
	free(out);
	o.ray_version = "2.51.0";
	out = parse_all("export_events/event_EXPORT_TASK_1.log", line,
	                strlen(line), &o, NULL, &rc);
	cr_assert(has(out, "[6@10] [8@20]"), "%s", out);
	free(out);
}

Test(events, old_event_type_names_are_accepted)
{
	const char *lines =
		"{\"eventType\":\"TASK_EXECUTION_EVENT\",\"taskExecutionEvent\":{\"taskId\":\"yO9FzNARJXH///////////////8BAAAA\",\"taskState\":{\"1\":\"1970-01-01T00:00:01Z\",\"11\":\"1970-01-01T00:00:02Z\"}}}\n"
		"{\"eventType\":\"DRIVER_JOB_EXECUTION_EVENT\",\"driverJobExecutionEvent\":{\"jobId\":\"AQAAAA==\",\"stateTransitions\":[{\"state\":\"CREATED\",\"timestamp\":\"1970-01-01T00:00:01Z\"}]}}\n"
		"{\"eventType\":5,\"driverJobDefinitionEvent\":{\"jobId\":\"AQAAAA==\"}}\n";
	rh_event_stats st;
	char *out;
	int rc;

	out = parse_all("batch", lines, strlen(lines), NULL, &st, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(st.records, 3, "%s", out);
	cr_assert(
		has(out,
	            "TASK_LIFECYCLE task=c8ef45ccd0112571ffffffffffffffffffffffff01000000/0 type=0 [1@1000000000] [11@2000000000]"),
		"%s", out);
	cr_assert(has(out, "DRIVER_JOB_LIFECYCLE job=01000000 [1@1000000000]"),
	          "%s", out);
	cr_assert(has(out, "DRIVER_JOB_DEFINITION job=01000000"), "%s", out);
	free(out);
}

Test(events, unknown_types_fields_and_long_lines_are_skipped_and_counted)
{
	rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;
	rh_buf in = RH_BUF_INIT;
	rh_event_stats st;
	char *out;
	int i, rc;

	rh_buf_puts(
		&in,
		"{\"eventType\":\"AUTOSCALER_EVENT\",\"autoscalerEvent\":{}}\n");
	rh_buf_puts(
		&in,
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeId\":\"x\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZA==\",\"brandNewField\":1,\"another\":{}}}\n");
	rh_buf_puts(
		&in,
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"");
	for (i = 0; i < 300; i++)
		rh_buf_puts(&in, "AAAA");
	rh_buf_puts(&in, "\"}}\n");
	rh_buf_puts(
		&in,
		"\n  \n{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZQ==\"}}");
	o.max_line = 1000;
	out = parse_all("batch", in.ptr, in.size, &o, &st, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(st.unknown_types, 1);
	cr_assert_eq(st.unknown_fields, 2);
	cr_assert_eq(st.too_long, 1);
	cr_assert_eq(st.records, 2);
	cr_assert_str_eq(
		out,
		"NODE_DEFINITION node=61626364\nNODE_DEFINITION node=61626365\n");
	free(out);
	rh_buf_dispose(&in);
}

Test(events, malformed_lines_name_object_and_line)
{
	const char *lines =
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZA==\"}}\n"
		"\n"
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"not*base64\"}}\n"
		"{\"eventType\": \n"
		"[1, 2]\n"
		"{\"eventType\":\"TASK_DEFINITION_EVENT\",\"taskDefinitionEvent\":{\"taskAttempt\":0}}\n"
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZQ==\"}}\n";
	rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;
	rh_event_stats st;
	char *out;
	int rc;

	out = parse_all("events/batch.json", lines, strlen(lines), &o, &st,
	                &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(st.records, 2);
	cr_assert_eq(st.malformed, 5);
	cr_assert_str_eq(
		st.first_error,
		"events/batch.json:3: \"nodeId\" is neither hex nor base64: \"not*base64\"");
	free(out);

	o.strict = 1;
	out = parse_all("events/batch.json", lines, strlen(lines), &o, &st,
	                &rc);
	cr_assert_eq(rc, RH_EINVAL);
	cr_assert_str_eq(
		rh_error_last(),
		"events/batch.json:3: \"nodeId\" is neither hex nor base64: \"not*base64\"");
	free(out);

	lines = "{\"a\":1}\n{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZA==\"}}\n{\"eventType\":\"NODE_DEFINITION_EVENT\",\n";
	out = parse_all("events/b2.json", lines, strlen(lines), &o, &st, &rc);
	cr_assert_eq(rc, RH_EINVAL);
	cr_assert_str_eq(rh_error_last(), "events/b2.json:1: no \"eventType\"");
	free(out);
	o.strict = 0;
	out = parse_all("events/b2.json", lines, strlen(lines), &o, &st, &rc);
	cr_assert_eq(st.malformed, 2);
	cr_assert_eq(st.records, 1);
	free(out);

	/* an array element names its index; an unclosed array is reported */
	lines = "[{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZA==\"}},\n 17,\n {\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{}}";
	out = parse_all("events/b3.json", lines, strlen(lines), &o, &st, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(st.records, 1);
	cr_assert_eq(st.malformed, 3);
	cr_assert_str_eq(st.first_error,
	                 "events/b3.json:2: element 2: not a JSON object");
	free(out);
}

Test(events, legacy_malformed_line_in_a_named_file)
{
	const char *lines =
		"{\"event_id\":\"a\",\"source_type\":\"GCS\",\"timestamp\":1}\n"
		"{\"event_id\":\"b\",\"source_type\":\"GCS\",\"timestamp\":\"soon\"}\n";
	rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;
	char *out;
	int rc;

	o.strict = 1;
	out = parse_all("nodes/n1/files/logs/events/event_GCS.log", lines,
	                strlen(lines), &o, NULL, &rc);
	cr_assert_eq(rc, RH_EINVAL);
	cr_assert_str_eq(
		rh_error_last(),
		"nodes/n1/files/logs/events/event_GCS.log:2: \"timestamp\" is not a number: \"soon\"");
	free(out);
}

static int
stop_cb(const rh_event *ev, void *payload)
{
	(void)ev;
	return ++*(int *)payload == 2 ? 42 : 0;
}

Test(events, callback_can_stop_the_parse)
{
	size_t len;
	char *data = ev_read_file("events/rayevents-constructed.jsonl", &len);
	int n = 0;

	cr_assert_eq(
		rh_event_parse(NULL, "batch", data, len, NULL, stop_cb, &n),
		42);
	cr_assert_eq(n, 2);
	free(data);
}

Test(ids, base64_and_hex_to_lower_hex)
{
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_id_to_hex(&b, "AQAAAA==", 8), 0);
	cr_assert_str_eq(b.ptr, "01000000");
	rh_buf_clear(&b);
	cr_assert_eq(rh_id_to_hex(&b, "AQAAAA", 6), 0); /* no padding */
	cr_assert_str_eq(b.ptr, "01000000");
	rh_buf_clear(&b);
	cr_assert_eq(rh_id_to_hex(&b, "__-_", 4), 0); /* URL-safe */
	cr_assert_str_eq(b.ptr, "ffffbf");
	rh_buf_clear(&b);
	cr_assert_eq(rh_id_to_hex(&b, "AbCdEf", 6), 0);
	cr_assert_str_eq(b.ptr, "abcdef");
	rh_buf_clear(&b);
	cr_assert_eq(rh_id_to_hex(&b, "a*b", 3), RH_EINVAL);
	cr_assert_neq(rh_error_last()[0], '\0');
	cr_assert_eq(rh_id_to_hex(&b, "Z", 1), RH_EINVAL);
	cr_assert_eq(b.size, 0);
	cr_assert(rh_id_is_hex("00ff", 4));
	cr_assert(!rh_id_is_hex("00fg", 4));
	cr_assert(!rh_id_is_hex("", 0));
	rh_buf_dispose(&b);
}

Test(timefmt, rfc3339_round_trip)
{
	const char *ok[][2] = {
		{ "1970-01-01T00:00:00.000001Z", "1000" },
		{ "2026-08-08T01:45:57.009825296Z", "1786153557009825296" },
		{ "2026-08-08T01:45:50.5Z", "1786153550500000000" },
		{ "2025-10-24T21:17:07.316483Z", "1761340627316483000" },
		{ "2025-10-24T23:17:07.316483+02:00", "1761340627316483000" },
		{ "1969-12-31T23:59:59.999999999Z", "-1" },
		{ "2000-02-29T12:00:00Z", "951825600000000000" },
	};
	const char *bad[] = { "",
		              "2025-10-24",
		              "2025-13-01T00:00:00Z",
		              "2025-10-24T21:17:07",
		              "2025-10-24T21:17:07.Z",
		              "2025-10-24T21:17:07Zx",
		              "x025-10-24T21:17:07Z" };
	rh_buf b = RH_BUF_INIT;
	int64_t ns;
	size_t i;

	for (i = 0; i < RH_ARRAY_SIZE(ok); i++) {
		cr_assert_eq(rh_time_parse(&ns, ok[i][0], strlen(ok[i][0])), 0,
		             "%s", ok[i][0]);
		cr_assert_eq(ns, strtoll(ok[i][1], NULL, 10), "%s: %lld",
		             ok[i][0], (long long)ns);
		rh_buf_clear(&b);
		cr_assert_eq(rh_time_format(&b, ns), 0);
		cr_assert_eq(rh_time_parse(&ns, b.ptr, b.size), 0, "%s", b.ptr);
		cr_assert_eq(ns, strtoll(ok[i][1], NULL, 10), "%s", b.ptr);
	}
	rh_buf_clear(&b);
	rh_time_format(&b, 1000);
	cr_assert_str_eq(b.ptr, "1970-01-01T00:00:00.000001000Z");
	for (i = 0; i < RH_ARRAY_SIZE(bad); i++)
		cr_assert_eq(rh_time_parse(&ns, bad[i], strlen(bad[i])),
		             RH_EINVAL, "%s", bad[i]);
	rh_buf_dispose(&b);
}

Test(events, enum_names)
{
	cr_assert_str_eq(rh_task_state_name(RH_TASK_FAILED), "FAILED");
	cr_assert_str_eq(rh_task_state_name(99), "NIL");
	cr_assert_eq(rh_task_state_from_name("running"), RH_TASK_RUNNING);
	cr_assert_eq(rh_task_state_from_name("nope"), -1);
	cr_assert_str_eq(rh_actor_state_name(RH_ACTOR_DEAD), "DEAD");
	cr_assert_str_eq(rh_job_status_name(RH_JOB_SUCCEEDED), "SUCCEEDED");
	cr_assert_str_eq(rh_task_type_name(RH_TASK_TYPE_ACTOR_TASK),
	                 "ACTOR_TASK");
	cr_assert_eq(rh_event_format_guess(
			     "a/logs/export_events/event_EXPORT_TASK_1.log"),
	             RH_EVENT_FORMAT_EXPORT);
	cr_assert_eq(rh_event_format_guess("a/logs/events/event_GCS.log"),
	             RH_EVENT_FORMAT_LEGACY);
	cr_assert_eq(rh_event_format_guess("a/events/0a.json.zst"),
	             RH_EVENT_FORMAT_RAYEVENT);
}

/* ---------------------------------------------------------------- ingest */

static char tmpdir[256];
static rh_store *st;

static void
mkstore(void)
{
	char url[300];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rh-test-events-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(url, sizeof(url), "file://%s/store", tmpdir);
	cr_assert_eq(rh_store_open(&st, url, NULL), 0, "%s", rh_error_last());
}

static void
rmstore(void)
{
	char cmd[300];

	rh_store_close(st);
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		cr_assert_eq(system(cmd), 0);
	}
}

static int
count_keys(const rh_store_entry *e, void *payload)
{
	(void)e;
	(*(int *)payload)++;
	return 0;
}

static void
compress_with(const char *cmd, const char *data, size_t len, rh_buf *out)
{
	char path[300], line[400], buf[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/in.json", tmpdir);
	f = fopen(path, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
	snprintf(line, sizeof(line), "%s < '%s'", cmd, path);
	f = popen(line, "r");
	cr_assert_not_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		rh_buf_put(out, buf, n);
	cr_assert_eq(pclose(f), 0);
}

Test(events_ingest, same_bytes_stored_once_whatever_the_compression,
     .init = mkstore, .fini = rmstore)
{
	size_t len;
	char *data = ev_read_file("events/rayevents-constructed.jsonl", &len);
	rh_buf k1 = RH_BUF_INIT, k2 = RH_BUF_INIT, k3 = RH_BUF_INIT;
	rh_buf gz = RH_BUF_INIT, zs = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable *sk;
	int added, n = 0;

	cr_assert_eq(rh_events_ingest(&k1, &added, st, "default/c1/session_1/",
	                              "batch.json", data, len),
	             0, "%s", rh_error_last());
	cr_assert_eq(added, 1);
	cr_assert(strncmp(k1.ptr, "default/c1/session_1/events/", 28) == 0,
	          "%s", k1.ptr);
	cr_assert_eq(strlen(k1.ptr), 28 + 64 + 9, "%s", k1.ptr);
	cr_assert_str_eq(k1.ptr + k1.size - 9, ".json.zst");
	cr_assert_eq(rh_events_ingest(NULL, &added, st, "default/c1/session_1/",
	                              "batch.json", data, len),
	             0);
	cr_assert_eq(added, 0);
	compress_with("gzip -c", data, len, &gz);
	compress_with("zstd -q -c", data, len, &zs);
	cr_assert_eq(rh_events_ingest(&k2, &added, st, "default/c1/session_1/",
	                              "batch.json.gz", gz.ptr, gz.size),
	             0, "%s", rh_error_last());
	cr_assert_eq(added, 0);
	cr_assert_eq(rh_events_ingest(&k3, &added, st, "default/c1/session_1/",
	                              "batch.json.zst", zs.ptr, zs.size),
	             0, "%s", rh_error_last());
	cr_assert_eq(added, 0);
	cr_assert_str_eq(k1.ptr, k2.ptr);
	cr_assert_str_eq(k1.ptr, k3.ptr);
	cr_assert_eq(rh_store_list(st, "default/c1/session_1/events/", NULL,
	                           count_keys, &n),
	             0);
	cr_assert_eq(n, 1);
	/* stored as a seekable blob of the raw JSON */
	cr_assert_eq(rh_seekable_open(&sk, st, k1.ptr), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_seekable_read(&got, sk, 0, SIZE_MAX), 0);
	cr_assert_eq(got.size, len);
	cr_assert_eq(memcmp(got.ptr, data, len), 0);
	rh_seekable_close(sk);
	rh_buf_dispose(&k1);
	rh_buf_dispose(&k2);
	rh_buf_dispose(&k3);
	rh_buf_dispose(&gz);
	rh_buf_dispose(&zs);
	rh_buf_dispose(&got);
	free(data);
}

Test(events_ingest, malformed_batch_is_refused_with_its_line, .init = mkstore,
     .fini = rmstore)
{
	const char *bad =
		"[{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZA==\"}},\n{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\": 5}}]";
	const char junk[] = { 0x1f, (char)0x8b, 1, 2, 3 };
	int n = 0;

	cr_assert_eq(rh_events_ingest(NULL, NULL, st, "default/c1/session_1/",
	                              "post.json", bad, strlen(bad)),
	             RH_EINVAL);
	cr_assert_str_eq(rh_error_last(),
	                 "post.json:2: element 2: \"nodeId\" is not a string");
	cr_assert_eq(rh_events_ingest(NULL, NULL, st, "default/c1/session_1/",
	                              "post.json.gz", junk, sizeof(junk)),
	             RH_EINVAL);
	cr_assert_neq(rh_error_last()[0], '\0');
	cr_assert_eq(rh_events_ingest(NULL, NULL, st, "no-slash", "x", "[]", 2),
	             RH_EINVAL);
	rh_store_list(st, "", NULL, count_keys, &n);
	cr_assert_eq(n, 0);
}

/* ------------------------------------------------ elements parsed in place */

#include "json.h"

Test(json, prefix_parse_stops_after_the_value_and_writes_nothing_past_it)
{
	char buf[64];
	const char *err = NULL;
	size_t end = 99;
	rh_json j = { 0 };

	strcpy(buf, " {\"a\":\"x\\ty\",\"b\":[1,2]} ,{\"c\":1}]");
	cr_assert_eq(rh_json_parse_prefix(&j, buf, strlen(buf), &end, &err), 0);
	cr_assert_eq(end, 23);
	cr_assert_str_eq(buf + end, " ,{\"c\":1}]");
	cr_assert_eq(rh_json_type(&j, 0), RH_J_OBJECT);
	cr_assert_eq(rh_json_parse_prefix(&j, buf + end + 2,
	                                  strlen(buf + end + 2), &end, &err),
	             0);
	cr_assert_eq(end, 7);

	/* a value cut short, a bad escape, a bare word: errors, not values */
	strcpy(buf, "{\"a\":[1,2");
	cr_assert_eq(rh_json_parse_prefix(&j, buf, strlen(buf), &end, &err),
	             RH_EINVAL);
	cr_assert_str_eq(err, "truncated JSON");
	strcpy(buf, "{\"a\":\"\\q\"},");
	cr_assert_eq(rh_json_parse_prefix(&j, buf, strlen(buf), &end, &err),
	             RH_EINVAL);
	cr_assert_str_eq(err, "bad escape in a JSON string");
	strcpy(buf, "{\"a\":tru},");
	cr_assert_eq(rh_json_parse_prefix(&j, buf, strlen(buf), &end, &err),
	             RH_EINVAL);
	strcpy(buf, "   ");
	cr_assert_eq(rh_json_parse_prefix(&j, buf, strlen(buf), &end, &err),
	             RH_EINVAL);

	/* a failure says how far the parse read; it changed nothing there
	 * or after (here it unescaped x\"y before the control byte) */
	strcpy(buf, "{\"a\":\"x\\\"y\001z\"} ,{}");
	cr_assert_eq(rh_json_parse_prefix(&j, buf, strlen(buf), &end, &err),
	             RH_EINVAL);
	cr_assert_str_eq(err, "control character in a JSON string");
	cr_assert_eq(end, 10);
	cr_assert_str_eq(buf + end, "\001z\"} ,{}");
	strcpy(buf, "{\"a\":[1,2]x} ,{}");
	cr_assert_eq(rh_json_parse_prefix(&j, buf, strlen(buf), &end, &err),
	             RH_EINVAL);
	cr_assert_eq(end, 10);
	rh_json_dispose(&j);
}

static int
line_dump_cb(const rh_event *ev, void *payload)
{
	rh_buf_printf(payload, "%llu ", (unsigned long long)ev->line);
	ev_dump(payload, ev);
	return 0;
}

static char *
parse_by(const char *data, size_t len, size_t chunk, int strict,
         rh_event_stats *stats, int *rc)
{
	rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;
	rh_event_parser *p;
	rh_buf b = RH_BUF_INIT;
	size_t off;

	o.max_line = 300;
	o.strict = strict;
	cr_assert_eq(rh_event_parser_new(&p, "arr.json", &o, line_dump_cb, &b),
	             0);
	*rc = 0;
	for (off = 0; off < len && !*rc; off += chunk)
		*rc = rh_event_parser_feed(
			p, data + off, len - off < chunk ? len - off : chunk);
	if (!*rc)
		*rc = rh_event_parser_finish(p);
	*stats = *rh_event_parser_stats(p);
	if (*rc)
		rh_buf_printf(&b, "error %d: %s", *rc, rh_error_last());
	rh_event_parser_free(p);
	if (!b.ptr)
		rh_buf_puts(&b, "");
	return b.ptr;
}

/* Whole, an array's elements are parsed where they lie; a byte at a time,
 * each is scanned for its end first. Every element below is unusual in
 * some way, and both must give the same records, lines, counts and errors. */
Test(events, array_elements_parsed_in_place_as_when_scanned)
{
#define NODE(id)                                                                             \
	"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"" id \
	"\"}}"
	const char *arr = "[" NODE(
		"YWJjZA==") ",\n"
			    "  {\"eventType\":\n\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZQ==\"}}\n," NODE("YWJjZg==") " garbage ," NODE(
				    "YWJjZw==") "}," NODE("YWJjaA==") ","
								      "{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJ\\u006aaQ==\"}},"
								      "{\"eventType\":\"NODE_DEFINITION_EVENT\",\"x\":\"a\nb\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjaQ==\"}},"
								      "{\"eventType\":\"NODE_DEFINITION_EVENT\",\"pad\":\""
								      "0123456789012345678901234567890123456789"
								      "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
								      "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
								      "\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjag==\"}},"
								      "{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"not*base64\"}},"
								      "{\"x\":\"q\\\"q\\u0041\x01\"},"
								      "{\"a\":[1,{\"b\":\"]}\\\"\"}]},"
								      "{}\n\n ]\n"
								      "[" NODE("YWJjaw==") "," NODE(
									      "YWJjbA==") "]\n"
											  "[" NODE(
												  "YWJjbQ==") ", {\"eventType\":";
	size_t len = strlen(arr), chunk;
	rh_event_stats sw, sc;
	char *whole, *bytes;
	int rcw, rcc, strict;

	for (strict = 0; strict < 2; strict++) {
		whole = parse_by(arr, len, len, strict, &sw, &rcw);
		if (!strict) {
			/* what the elements are, not only that both ways agree */
			cr_assert_eq(rcw, 0, "%s", whole);
			cr_assert_eq(sw.records, 7, "%s", whole);
			cr_assert_eq(sw.too_long, 1);
			cr_assert_eq(sw.malformed, 8, "%s", whole);
			cr_assert_str_eq(
				sw.first_error,
				"arr.json:4: element 3: unexpected data after the JSON value");
			cr_assert(
				has(whole,
			            "1 NODE_DEFINITION node=61626364\n2 NODE_DEFINITION node=61626365\n"),
				"%s", whole);
			cr_assert(
				has(whole,
			            "4 NODE_DEFINITION node=61626368\n4 NODE_DEFINITION node=61626369\n"),
				"%s", whole);
			cr_assert(
				has(whole,
			            "8 NODE_DEFINITION node=6162636b\n8 NODE_DEFINITION node=6162636c\n9 NODE_DEFINITION node=6162636d\n"),
				"%s", whole);
		} else {
			cr_assert_eq(rcw, RH_EINVAL);
			cr_assert(
				has(whole,
			            "arr.json:4: element 3: unexpected data after the JSON value"),
				"%s", whole);
		}
		for (chunk = 1; chunk < 40; chunk += 7) {
			bytes = parse_by(arr, len, chunk, strict, &sc, &rcc);
			cr_assert_str_eq(bytes, whole, "chunk %zu", chunk);
			cr_assert_eq(rcc, rcw);
			cr_assert_eq(sc.records, sw.records);
			cr_assert_eq(sc.lines, sw.lines);
			cr_assert_eq(sc.malformed, sw.malformed);
			cr_assert_eq(sc.too_long, sw.too_long);
			cr_assert_str_eq(sc.first_error, sw.first_error);
			free(bytes);
		}
		free(whole);
	}
#undef NODE
}

Test(events, callback_can_stop_the_parse_of_an_array)
{
	const char *arr =
		"[{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZA==\"}},"
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZQ==\"}},"
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZg==\"}}]";
	int n = 0;

	cr_assert_eq(rh_event_parse(NULL, "batch", arr, strlen(arr), NULL,
	                            stop_cb, &n),
	             42);
	cr_assert_eq(n, 2);
}

static int
profile_start_cb(const rh_event *ev, void *payload)
{
	if (ev->kind == RH_EVENT_TASK_PROFILE && ev->u.task.nprofile == 1)
		*(int64_t *)payload = ev->u.task.profile[0].start_ns;
	return 0;
}

/* Integers written as strings (every profile event's times) are summed
 * without strtoll() when they are plain digits that fit; the values and
 * the refusals must be strtoll()'s, here the oracle. */
Test(events, integer_strings_read_as_strtoll_reads_them)
{
	static const char *const texts[] = {
		"1762985431015824128",
		"0",
		"-0",
		"7",
		"-5",
		"000000000000000000001",
		"9223372036854775807",
		"9223372036854775808",
		"-9223372036854775808",
		"-9223372036854775809",
		"99999999999999999999",
		"9999999999999999999",
		" 7",
		"+7",
		"12a",
		"-",
		"1.5",
		"123456789012345678",
	};
	rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;
	size_t k;

	o.strict = 1;
	for (k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
		char line[512], *end;
		int64_t got = 42;
		long long want;
		int rc, ok;

		snprintf(
			line, sizeof(line),
			"{\"eventType\":\"TASK_PROFILE_EVENT\",\"taskProfileEvents\":"
			"{\"taskId\":\"AAAA\",\"attemptNumber\":0,\"profileEvents\":"
			"{\"events\":[{\"eventName\":\"x\",\"startTime\":\"%s\"}]}}}\n",
			texts[k]);
		errno = 0;
		want = strtoll(texts[k], &end, 10);
		ok = !errno && !*end && end != texts[k];
		rc = rh_event_parse(NULL, "ints", line, strlen(line), &o,
		                    profile_start_cb, &got);
		if (ok) {
			cr_assert_eq(rc, 0, "\"%s\": %s", texts[k],
			             rh_error_last());
			cr_assert_eq(got, (int64_t)want, "\"%s\"", texts[k]);
		} else {
			cr_assert_eq(rc, RH_EINVAL, "\"%s\" read as %lld",
			             texts[k], (long long)got);
		}
	}
}

/* A bad element parsed in place spoils the bytes the parse read (here it
 * unescapes before it fails), and only those are restored for the next
 * ones: every element of a long run of them is still counted and the one
 * good element after them still parses. */
Test(events, long_runs_of_bad_array_elements_parsed_in_place)
{
	rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;
	rh_buf in = RH_BUF_INIT;
	rh_event_stats stats;
	size_t n = 0;
	int rc;

	rh_buf_puts(&in, "[");
	while (in.size < ((size_t)256 << 10)) {
		rh_buf_puts(&in, "{\"a\\\"\":\"\\u0041\001\"},");
		n++;
	}
	rh_buf_puts(
		&in,
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"nodeDefinitionEvent\":{\"nodeId\":\"YWJjZA==\"}}]");
	rc = rh_event_parse(&stats, "bad.json", in.ptr, in.size, &o, NULL,
	                    NULL);
	cr_assert_eq(rc, 0);
	cr_assert_eq(stats.malformed, n);
	cr_assert_str_eq(
		stats.first_error,
		"bad.json:1: element 1: control character in a JSON string");
	cr_assert_eq(stats.records, 1);
	rh_buf_dispose(&in);
}
