/* evtest.h - helpers shared by the events, history and index tests: reading
 * fixtures from tests/data and printing records as canonical text. */
#ifndef RH_TEST_EVTEST_H
#define RH_TEST_EVTEST_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <sys/stat.h>
#include <rayhist/rayhist.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef RH_TOP_SRCDIR
#define RH_TOP_SRCDIR "."
#endif

/* A whole file, NUL-terminated; the test fails if it cannot be read. */
static inline char *
ev_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static inline char *
ev_read_file(const char *rel, size_t *len)
{
	char path[1024];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/tests/data/%s",
	         top ? top : RH_TOP_SRCDIR, rel);
	return ev_slurp(path, len);
}

/* Every file of `dir` stored as a RayEvent batch of the session under
 * `prefix`, as rayhist-collect --events does. */
static inline void
ev_ingest_dir(rh_store *st, const char *prefix, const char *dir)
{
	struct dirent *e;
	DIR *d;

	cr_assert_not_null(d = opendir(dir), "%s", dir);
	while ((e = readdir(d))) {
		char file[1200];
		size_t len;
		char *data;

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
		data = ev_slurp(file, &len);
		cr_assert_eq(rh_events_ingest(NULL, NULL, st, prefix, e->d_name,
		                              data, len),
		             0, "%s", rh_error_last());
		free(data);
	}
	closedir(d);
}

/* Every regular file of SDIR/REL as one captured part (offset 0) of node
 * `node` in the session under `prefix`, as a capture would store it. */
static inline void
ev_put_dir(rh_store *st, const char *prefix, const char *node, const char *sdir,
           const char *rel)
{
	char path[1024], key[1600];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", sdir, rel);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		rh_buf blob = RH_BUF_INIT;
		char file[1400];
		size_t len;
		char *data;
		struct stat sb;

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		if (stat(file, &sb) || !S_ISREG(sb.st_mode))
			continue;
		data = ev_slurp(file, &len);
		snprintf(key, sizeof(key), "%snodes/%s/files/%s/%s@%020d.zst",
		         prefix, node, rel, e->d_name, 0);
		cr_assert_eq(rh_seekable_compress(&blob, data, len, NULL), 0);
		cr_assert_eq(rh_store_put(st, key, blob.ptr, blob.size), 0,
		             "%s", rh_error_last());
		rh_buf_dispose(&blob);
		free(data);
	}
	closedir(d);
}

static inline void
ev_s(rh_buf *b, const char *k, const char *v)
{
	if (v)
		rh_buf_printf(b, " %s=%s", k, v);
}

static inline void
ev_i(rh_buf *b, const char *k, long long v)
{
	if (v != -1 && v != (long long)RH_TIME_NONE)
		rh_buf_printf(b, " %s=%lld", k, v);
}

static inline void
ev_tr(rh_buf *b, const rh_event_transition *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		rh_buf_printf(b, " [%d@%lld", t[i].state,
		              (long long)t[i].time_ns);
		ev_s(b, "node", t[i].node_id);
		ev_s(b, "worker", t[i].worker_id);
		ev_s(b, "repr", t[i].repr_name);
		ev_i(b, "pid", t[i].pid);
		ev_s(b, "death", t[i].death_cause);
		ev_s(b, "ip", t[i].ip);
		ev_s(b, "reason", t[i].reason);
		ev_s(b, "msg", t[i].message);
		ev_i(b, "exit", t[i].exit_code);
		ev_s(b, "res", t[i].resources);
		rh_buf_puts(b, "]");
	}
}

/* One line of canonical text per record (the object name and line left
 * out, so records from differently shaped inputs compare equal). */
static inline void
ev_dump(rh_buf *b, const rh_event *ev)
{
	size_t i;

	rh_buf_printf(b, "%s", rh_event_kind_name(ev->kind));
	ev_s(b, "eid", ev->event_id);
	ev_i(b, "t", ev->time_ns);
	ev_s(b, "session", ev->session_name);
	switch (ev->kind) {
	case RH_EVENT_TASK_DEFINITION:
	case RH_EVENT_TASK_LIFECYCLE:
	case RH_EVENT_TASK_PROFILE: {
		const rh_event_task *t = &ev->u.task;

		rh_buf_printf(b, " task=%s/%d type=%d", t->task_id, t->attempt,
		              t->type);
		ev_s(b, "job", t->job_id);
		ev_s(b, "name", t->name);
		ev_s(b, "func", t->func_or_class_name);
		ev_s(b, "lang", t->language);
		ev_s(b, "parent", t->parent_task_id);
		ev_s(b, "actor", t->actor_id);
		ev_s(b, "pg", t->placement_group_id);
		ev_s(b, "res", t->required_resources);
		ev_s(b, "renv", t->runtime_env);
		ev_s(b, "callsite", t->call_site);
		ev_s(b, "labels", t->label_selector);
		ev_tr(b, t->transitions, t->ntransitions);
		ev_s(b, "node", t->node_id);
		ev_s(b, "worker", t->worker_id);
		ev_i(b, "pid", t->worker_pid);
		ev_i(b, "dbg", t->is_debugger_paused);
		ev_s(b, "repr", t->actor_repr_name);
		ev_s(b, "etype", t->error_type);
		ev_s(b, "emsg", t->error_message);
		if (t->has_log_info) {
			ev_s(b, "out", t->log_info.stdout_file);
			ev_s(b, "err", t->log_info.stderr_file);
			rh_buf_printf(b, " logs=%lld,%lld,%lld,%lld",
			              (long long)t->log_info.stdout_start,
			              (long long)t->log_info.stdout_end,
			              (long long)t->log_info.stderr_start,
			              (long long)t->log_info.stderr_end);
		}
		ev_s(b, "ctype", t->component_type);
		ev_s(b, "cid", t->component_id);
		ev_s(b, "ip", t->node_ip_address);
		for (i = 0; i < t->nprofile; i++)
			rh_buf_printf(b, " {%s %lld-%lld %s}",
			              t->profile[i].event_name,
			              (long long)t->profile[i].start_ns,
			              (long long)t->profile[i].end_ns,
			              t->profile[i].extra_data ?
			                      t->profile[i].extra_data :
			                      "");
		break;
	}
	case RH_EVENT_ACTOR_DEFINITION:
	case RH_EVENT_ACTOR_LIFECYCLE: {
		const rh_event_actor *a = &ev->u.actor;

		rh_buf_printf(b, " actor=%s", a->actor_id);
		ev_s(b, "job", a->job_id);
		ev_s(b, "name", a->name);
		ev_s(b, "class", a->class_name);
		ev_s(b, "ns", a->ray_namespace);
		ev_s(b, "pg", a->placement_group_id);
		ev_s(b, "repr", a->repr_name);
		ev_s(b, "res", a->required_resources);
		ev_s(b, "renv", a->runtime_env);
		ev_s(b, "callsite", a->call_site);
		ev_s(b, "labels", a->label_selector);
		ev_i(b, "detached", a->is_detached);
		ev_tr(b, a->transitions, a->ntransitions);
		break;
	}
	case RH_EVENT_DRIVER_JOB_DEFINITION:
	case RH_EVENT_DRIVER_JOB_LIFECYCLE:
	case RH_EVENT_SUBMISSION_JOB: {
		const rh_event_job *j = &ev->u.job;

		ev_s(b, "job", j->job_id);
		ev_s(b, "sub", j->submission_id);
		ev_s(b, "entry", j->entrypoint);
		ev_s(b, "dnode", j->driver_node_id);
		ev_s(b, "dip", j->driver_ip);
		ev_i(b, "dpid", j->driver_pid);
		ev_s(b, "meta", j->metadata);
		ev_s(b, "renv", j->runtime_env);
		ev_s(b, "msg", j->message);
		ev_s(b, "etype", j->error_type);
		ev_s(b, "http", j->driver_agent_http_address);
		ev_i(b, "exit", j->driver_exit_code);
		ev_i(b, "start", j->start_ns);
		ev_i(b, "end", j->end_ns);
		ev_i(b, "dead", j->is_dead);
		ev_tr(b, j->transitions, j->ntransitions);
		break;
	}
	case RH_EVENT_NODE_DEFINITION:
	case RH_EVENT_NODE_LIFECYCLE: {
		const rh_event_node *n = &ev->u.node;

		rh_buf_printf(b, " node=%s", n->node_id);
		ev_s(b, "ip", n->node_ip);
		ev_s(b, "name", n->node_name);
		ev_s(b, "host", n->hostname);
		ev_s(b, "labels", n->labels);
		ev_s(b, "res", n->resources_total);
		ev_i(b, "head", n->is_head_node);
		ev_i(b, "start", n->start_ns);
		ev_i(b, "end", n->end_ns);
		ev_tr(b, n->transitions, n->ntransitions);
		break;
	}
	case RH_EVENT_PLACEMENT_GROUP_DEFINITION:
	case RH_EVENT_PLACEMENT_GROUP_LIFECYCLE: {
		const rh_event_pg *g = &ev->u.pg;

		rh_buf_printf(b, " pg=%s", g->placement_group_id);
		ev_s(b, "name", g->name);
		ev_s(b, "job", g->creator_job_id);
		ev_s(b, "strategy", g->strategy);
		ev_s(b, "bundles", g->bundles);
		ev_i(b, "detached", g->is_detached);
		ev_tr(b, g->transitions, g->ntransitions);
		break;
	}
	case RH_EVENT_CLUSTER: {
		const rh_event_cluster *c = &ev->u.cluster;

		ev_s(b, "src", c->source_type);
		ev_s(b, "host", c->host_name);
		ev_i(b, "pid", c->pid);
		ev_s(b, "sev", c->severity);
		ev_s(b, "label", c->label);
		ev_s(b, "msg", c->message);
		ev_s(b, "fields", c->custom_fields);
		ev_s(b, "job", c->job_id);
		break;
	}
	default: break;
	}
	rh_buf_puts(b, "\n");
}

static inline int
ev_dump_cb(const rh_event *ev, void *payload)
{
	ev_dump(payload, ev);
	return 0;
}

#endif

/* ---------------------------------------------------------------- sessions */

#ifndef RH_TEST_EVTEST_GEN
#define RH_TEST_EVTEST_GEN

static inline void
ev_b64(char *out, const unsigned char *b, size_t n)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 |
		             b[i + 2];

		out[o++] = a[v >> 18];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)b[i] << 16;

		out[o++] = a[v >> 18];
		out[o++] = a[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8;

		out[o++] = a[v >> 18];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* Ids of the generated session, as base64 (b) and hex (h). */
typedef struct ev_id {
	char b[64], h[64];
} ev_id;

static inline void
ev_mkid(ev_id *id, const unsigned char *bytes, size_t n)
{
	size_t i;

	ev_b64(id->b, bytes, n);
	for (i = 0; i < n; i++)
		sprintf(id->h + 2 * i, "%02x", bytes[i]);
}

static inline void
ev_job(ev_id *id, int job)
{
	unsigned char b[4] = { (unsigned char)job, 0, 0, 0 };

	ev_mkid(id, b, 4);
}

static inline void
ev_task(ev_id *id, int job, int n)
{
	unsigned char b[24];

	memset(b, 0xff, sizeof(b));
	b[0] = (unsigned char)n;
	b[1] = (unsigned char)(n >> 8);
	b[2] = 0x5a;
	b[20] = (unsigned char)job;
	b[21] = b[22] = b[23] = 0;
	ev_mkid(id, b, 24);
}

static inline void
ev_node(ev_id *id, int n)
{
	unsigned char b[28];

	memset(b, 0, sizeof(b));
	b[0] = 0x0f;
	b[1] = (unsigned char)n;
	ev_mkid(id, b, 28);
}

static inline void
ev_worker(ev_id *id, int n)
{
	unsigned char b[28];

	memset(b, 0x11, sizeof(b));
	b[0] = (unsigned char)n;
	ev_mkid(id, b, 28);
}

static inline void
ev_actor(ev_id *id, int job, int n)
{
	unsigned char b[16];

	memset(b, 0x22, sizeof(b));
	b[0] = (unsigned char)n;
	b[12] = (unsigned char)job;
	b[13] = b[14] = b[15] = 0;
	ev_mkid(id, b, 16);
}

static inline void
ev_ts(char *out, long long sec, long nsec)
{
	sprintf(out, "2026-01-01T00:%02lld:%02lld.%09ldZ", sec / 60 % 60,
	        sec % 60, nsec);
}

/* One event line per rh_buf line: a small session with every kind of event,
 * nodes that die, retries, a failing task, an actor that restarts and dies,
 * a submission job, a plain driver job and a failed driver. */
static inline void
ev_session(rh_buf *out, int ntasks)
{
	ev_id job1, job2, job3, n1, n2, w1, w2, a1, t;
	char t0[64], t1[64], t2[64], t3[64];
	int i;

	ev_job(&job1, 1);
	ev_job(&job2, 2);
	ev_job(&job3, 3);
	ev_node(&n1, 1);
	ev_node(&n2, 2);
	ev_worker(&w1, 1);
	ev_worker(&w2, 2);
	ev_actor(&a1, 1, 1);
	ev_ts(t0, 1, 0);
	ev_ts(t1, 2, 0);
	ev_ts(t3, 59, 0);
	/* nodes: n1 head stays; n2 dies */
	rh_buf_printf(
		out,
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"timestamp\":\"%s\",\"nodeDefinitionEvent\":{\"nodeId\":\"%s\",\"nodeIpAddress\":\"10.0.0.1\",\"startTimestamp\":\"%s\",\"labels\":{\"ray.io/node-group\":\"head\"}}}\n",
		t0, n1.b, t0);
	rh_buf_printf(
		out,
		"{\"eventType\":\"NODE_LIFECYCLE_EVENT\",\"timestamp\":\"%s\",\"nodeLifecycleEvent\":{\"nodeId\":\"%s\",\"stateTransitions\":[{\"state\":\"ALIVE\",\"timestamp\":\"%s\",\"resources\":{\"CPU\":4,\"node:__internal_head__\":1}}]}}\n",
		t0, n1.b, t0);
	rh_buf_printf(
		out,
		"{\"eventType\":\"NODE_DEFINITION_EVENT\",\"timestamp\":\"%s\",\"nodeDefinitionEvent\":{\"nodeId\":\"%s\",\"nodeIpAddress\":\"10.0.0.2\",\"startTimestamp\":\"%s\"}}\n",
		t0, n2.b, t0);
	rh_buf_printf(
		out,
		"{\"eventType\":\"NODE_LIFECYCLE_EVENT\",\"timestamp\":\"%s\",\"nodeLifecycleEvent\":{\"nodeId\":\"%s\",\"stateTransitions\":[{\"state\":\"ALIVE\",\"timestamp\":\"%s\",\"resources\":{\"CPU\":8}}]}}\n",
		t0, n2.b, t0);
	rh_buf_printf(
		out,
		"{\"eventType\":\"NODE_LIFECYCLE_EVENT\",\"timestamp\":\"%s\",\"nodeLifecycleEvent\":{\"nodeId\":\"%s\",\"stateTransitions\":[{\"state\":\"DEAD\",\"timestamp\":\"%s\",\"deathInfo\":{\"reason\":\"UNEXPECTED_TERMINATION\",\"reasonMessage\":\"health check failed\"}}]}}\n",
		t3, n2.b, t3);
	/* jobs: 1 plain driver that succeeds, 2 a submission, 3 a driver that fails */
	rh_buf_printf(
		out,
		"{\"eventType\":\"DRIVER_JOB_DEFINITION_EVENT\",\"driverJobDefinitionEvent\":{\"jobId\":\"%s\",\"entrypoint\":\"python a.py\",\"driverNodeId\":\"%s\",\"driverNodeIpAddress\":\"10.0.0.1\",\"driverPid\":\"100\",\"config\":{\"metadata\":{},\"serializedRuntimeEnv\":\"{}\"}}}\n",
		job1.b, n1.b);
	rh_buf_printf(
		out,
		"{\"eventType\":\"DRIVER_JOB_LIFECYCLE_EVENT\",\"driverJobLifecycleEvent\":{\"jobId\":\"%s\",\"stateTransitions\":[{\"state\":\"CREATED\",\"timestamp\":\"%s\"}]}}\n",
		job1.b, t0);
	rh_buf_printf(
		out,
		"{\"eventType\":\"DRIVER_JOB_LIFECYCLE_EVENT\",\"driverJobLifecycleEvent\":{\"jobId\":\"%s\",\"stateTransitions\":[{\"state\":\"FINISHED\",\"timestamp\":\"%s\",\"exitCode\":0}]}}\n",
		job1.b, t3);
	rh_buf_printf(
		out,
		"{\"eventType\":\"DRIVER_JOB_DEFINITION_EVENT\",\"driverJobDefinitionEvent\":{\"jobId\":\"%s\",\"entrypoint\":\"python b.py\",\"driverPid\":\"200\",\"config\":{\"metadata\":{\"job_submission_id\":\"raysubmit_2\"}}}}\n",
		job2.b);
	rh_buf_printf(
		out,
		"{\"eventType\":\"DRIVER_JOB_LIFECYCLE_EVENT\",\"driverJobLifecycleEvent\":{\"jobId\":\"%s\",\"stateTransitions\":[{\"state\":\"CREATED\",\"timestamp\":\"%s\"},{\"state\":\"FINISHED\",\"timestamp\":\"%s\"}]}}\n",
		job2.b, t1, t3);
	rh_buf_printf(
		out,
		"{\"event_id\":\"s1\",\"timestamp\":1767225601,\"source_type\":\"EXPORT_SUBMISSION_JOB\",\"event_data\":{\"submission_job_id\":\"raysubmit_2\",\"status\":\"PENDING\",\"entrypoint\":\"python b.py\",\"start_time\":\"1767225601000\"}}\n");
	rh_buf_printf(
		out,
		"{\"event_id\":\"s2\",\"timestamp\":1767225602,\"source_type\":\"EXPORT_SUBMISSION_JOB\",\"event_data\":{\"submission_job_id\":\"raysubmit_2\",\"status\":\"RUNNING\",\"entrypoint\":\"python b.py\",\"start_time\":\"1767225601000\",\"message\":\"Job is currently running.\"}}\n");
	rh_buf_printf(
		out,
		"{\"event_id\":\"s3\",\"timestamp\":1767225659,\"source_type\":\"EXPORT_SUBMISSION_JOB\",\"event_data\":{\"submission_job_id\":\"raysubmit_2\",\"status\":\"SUCCEEDED\",\"entrypoint\":\"python b.py\",\"start_time\":\"1767225601000\",\"end_time\":\"1767225659000\",\"message\":\"Job finished successfully.\",\"driver_exit_code\":0}}\n");
	rh_buf_printf(
		out,
		"{\"eventType\":\"DRIVER_JOB_DEFINITION_EVENT\",\"driverJobDefinitionEvent\":{\"jobId\":\"%s\",\"entrypoint\":\"python c.py\",\"driverPid\":\"300\"}}\n",
		job3.b);
	rh_buf_printf(
		out,
		"{\"eventType\":\"DRIVER_JOB_LIFECYCLE_EVENT\",\"driverJobLifecycleEvent\":{\"jobId\":\"%s\",\"stateTransitions\":[{\"state\":\"CREATED\",\"timestamp\":\"%s\"},{\"state\":\"FINISHED\",\"timestamp\":\"%s\",\"errorType\":\"DRIVER_ERROR\",\"message\":\"Traceback: boom\",\"exitCode\":1}]}}\n",
		job3.b, t1, t3);
	/* an actor that restarts once and dies */
	rh_buf_printf(
		out,
		"{\"eventType\":\"ACTOR_DEFINITION_EVENT\",\"actorDefinitionEvent\":{\"actorId\":\"%s\",\"jobId\":\"%s\",\"className\":\"Counter\",\"name\":\"\",\"rayNamespace\":\"ns\",\"requiredResources\":{\"CPU\":1},\"isDetached\":false}}\n",
		a1.b, job1.b);
	ev_ts(t2, 10, 0);
	rh_buf_printf(
		out,
		"{\"eventType\":\"ACTOR_LIFECYCLE_EVENT\",\"actorLifecycleEvent\":{\"actorId\":\"%s\",\"stateTransitions\":[{\"state\":\"PENDING_CREATION\",\"timestamp\":\"%s\"},{\"state\":\"ALIVE\",\"timestamp\":\"%s\",\"nodeId\":\"%s\",\"workerId\":\"%s\",\"pid\":4000}]}}\n",
		a1.b, t1, t2, n2.b, w2.b);
	ev_ts(t1, 20, 0);
	ev_ts(t2, 21, 0);
	rh_buf_printf(
		out,
		"{\"eventType\":\"ACTOR_LIFECYCLE_EVENT\",\"actorLifecycleEvent\":{\"actorId\":\"%s\",\"stateTransitions\":[{\"state\":\"RESTARTING\",\"timestamp\":\"%s\"},{\"state\":\"ALIVE\",\"timestamp\":\"%s\",\"nodeId\":\"%s\",\"workerId\":\"%s\",\"pid\":4001,\"reprName\":\"Counter(1)\"}]}}\n",
		a1.b, t1, t2, n1.b, w1.b);
	ev_ts(t2, 50, 0);
	rh_buf_printf(
		out,
		"{\"eventType\":\"ACTOR_LIFECYCLE_EVENT\",\"actorLifecycleEvent\":{\"actorId\":\"%s\",\"stateTransitions\":[{\"state\":\"DEAD\",\"timestamp\":\"%s\",\"deathCause\":{\"actorDiedErrorContext\":{\"errorMessage\":\"killed by ray.kill\",\"pid\":4001,\"nodeIpAddress\":\"10.0.0.1\"}}}]}}\n",
		a1.b, t2);
	/* tasks */
	for (i = 0; i < ntasks; i++) {
		const ev_id *job = i % 3 == 0 ? &job1 :
		                   i % 3 == 1 ? &job2 :
		                                &job3;
		const ev_id *node = i % 2 ? &n2 : &n1, *wk = i % 2 ? &w2 : &w1;
		int fail = i % 7 == 3, attempts = fail ? 2 : 1, at;

		ev_task(&t, job == &job1 ? 1 : job == &job2 ? 2 : 3, i);
		for (at = 0; at < attempts; at++) {
			long long s = 5 + i % 40 + at;

			ev_ts(t0, s, 1000 + at);
			ev_ts(t1, s, 5000 + at);
			ev_ts(t2, s, 9000 + at);
			rh_buf_printf(
				out,
				"{\"eventType\":\"TASK_DEFINITION_EVENT\",\"taskDefinitionEvent\":{\"taskId\":\"%s\",\"taskAttempt\":%d,\"jobId\":\"%s\",\"taskType\":\"NORMAL_TASK\",\"language\":\"PYTHON\",\"taskName\":\"%s\",\"taskFunc\":{\"pythonFunctionDescriptor\":{\"moduleName\":\"m\",\"className\":\"\",\"functionName\":\"m.%s\"}},\"requiredResources\":{\"CPU\":1.0},\"parentTaskId\":\"//////////////////////////8BAAAA\"}}\n",
				t.b, at, job->b, i % 2 ? "Work" : "prep",
				i % 2 ? "Work" : "prep");
			rh_buf_printf(
				out,
				"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"%s\",\"taskAttempt\":%d,\"jobId\":\"%s\",\"stateTransitions\":[{\"state\":\"PENDING_ARGS_AVAIL\",\"timestamp\":\"%s\"},{\"state\":\"PENDING_NODE_ASSIGNMENT\",\"timestamp\":\"%s\"}]}}\n",
				t.b, at, job->b, t0, t0);
			rh_buf_printf(
				out,
				"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"%s\",\"taskAttempt\":%d,\"jobId\":\"%s\",\"nodeId\":\"%s\",\"workerId\":\"%s\",\"workerPid\":%d,\"stateTransitions\":[{\"state\":\"SUBMITTED_TO_WORKER\",\"timestamp\":\"%s\"},{\"state\":\"RUNNING\",\"timestamp\":\"%s\"}],\"taskLogInfo\":{\"stdoutFile\":\"/tmp/w%d.out\",\"stderrFile\":\"/tmp/w%d.err\",\"stdoutStart\":\"%d\",\"stderrStart\":\"0\"}}}\n",
				t.b, at, job->b, node->b, wk->b, 1000 + i % 2,
				t1, t1, i % 2, i % 2, i * 100);
			if (fail && at == 0)
				rh_buf_printf(
					out,
					"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"%s\",\"taskAttempt\":%d,\"jobId\":\"%s\",\"nodeId\":\"%s\",\"workerId\":\"%s\",\"stateTransitions\":[{\"state\":\"FAILED\",\"timestamp\":\"%s\"}],\"rayErrorInfo\":{\"errorType\":\"TASK_EXECUTION_EXCEPTION\",\"errorMessage\":\"\\u001b[31mValueError: bad %d\\u001b[0m\"},\"taskLogInfo\":{\"stdoutEnd\":\"%d\",\"stderrEnd\":\"10\"}}}\n",
					t.b, at, job->b, node->b, wk->b, t2, i,
					i * 100 + 50);
			else
				rh_buf_printf(
					out,
					"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"%s\",\"taskAttempt\":%d,\"jobId\":\"%s\",\"nodeId\":\"%s\",\"workerId\":\"%s\",\"stateTransitions\":[{\"state\":\"FINISHED\",\"timestamp\":\"%s\"}],\"taskLogInfo\":{\"stdoutEnd\":\"%d\",\"stderrEnd\":\"0\"}}}\n",
					t.b, at, job->b, node->b, wk->b, t2,
					i * 100 + 50);
		}
	}
	/* a placement group, a legacy cluster event, an unknown type */
	rh_buf_printf(
		out,
		"{\"eventType\":\"PLACEMENT_GROUP_DEFINITION_EVENT\",\"placementGroupDefinitionEvent\":{\"placementGroupId\":\"AAECAwQFBgcICQoLDA0ODxAR\",\"name\":\"pg1\",\"creatorJobId\":\"%s\",\"strategy\":\"PACK\",\"bundles\":[{\"bundleIndex\":0,\"unitResources\":{\"CPU\":1}}]}}\n",
		job1.b);
	rh_buf_printf(
		out,
		"{\"eventType\":\"PLACEMENT_GROUP_LIFECYCLE_EVENT\",\"placementGroupLifecycleEvent\":{\"placementGroupId\":\"AAECAwQFBgcICQoLDA0ODxAR\",\"stateTransitions\":[{\"state\":\"PENDING\",\"timestamp\":\"%s\"},{\"state\":\"CREATED\",\"timestamp\":\"%s\"}]}}\n",
		t0, t1);
	rh_buf_printf(
		out,
		"{\"event_id\":\"aa01\",\"source_type\":\"GCS\",\"host_name\":\"head\",\"pid\":\"7\",\"severity\":\"ERROR\",\"label\":\"RAY_NODE_REMOVED\",\"message\":\"Node died\",\"timestamp\":1767225659,\"custom_fields\":{\"node_id\":\"%s\"}}\n",
		n2.h);
	rh_buf_printf(
		out,
		"{\"eventType\":\"AUTOSCALER_EVENT\",\"autoscalerEvent\":{}}\n");
}

/* Split `in` into lines, shuffle them with `seed` (0: keep), and join. */
static inline char *
ev_shuffle(const char *in, unsigned seed, int duplicate)
{
	char **lines = NULL;
	size_t n = 0, a = 0, i;
	const char *p = in;
	rh_buf out = RH_BUF_INIT;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int k;

		for (k = 0; k <= duplicate; k++) {
			if (n == a) {
				a = a ? a * 2 : 64;
				lines = realloc(lines, a * sizeof(*lines));
			}
			lines[n++] = strndup(p, len);
		}
		p += len + (nl ? 1 : 0);
	}
	if (seed) {
		srand(seed);
		for (i = n; i > 1; i--) {
			size_t j = (size_t)rand() % i;
			char *tmp = lines[i - 1];

			lines[i - 1] = lines[j];
			lines[j] = tmp;
		}
	}
	for (i = 0; i < n; i++) {
		rh_buf_puts(&out, lines[i]);
		rh_buf_puts(&out, "\n");
		free(lines[i]);
	}
	free(lines);
	return out.ptr;
}

/* Build the index of `events` (any format, one object). */
static inline void
ev_index(rh_buf *idx, const char *events, rh_event_stats *stats)
{
	rh_history *h;

	cr_assert_eq(rh_history_new(&h, NULL), 0);
	cr_assert_eq(rh_history_add_object(h, "batch.json", events,
	                                   strlen(events), NULL),
	             0, "%s", rh_error_last());
	cr_assert_eq(rh_history_finish(h), 0, "%s", rh_error_last());
	cr_assert_eq(rh_history_write(idx, h), 0, "%s", rh_error_last());
	if (stats)
		*stats = *rh_history_stats(h);
	rh_history_free(h);
}

#endif
