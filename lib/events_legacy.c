/* events_legacy.c - legacy events, logs/events/event_*.log
 * (reference/ray-formats.md §4a), in both writers' shapes: Python's
 * {"source_hostname", "source_pid": 1, "timestamp": "1700000000"} and C++'s
 * {"host_name", "pid": "1", "timestamp": 1700000000, messages with literal
 * "\n"}. */
#include "internal.h"
#include "events_internal.h"

#define GET(o, name) JGET(p, (o), (name), (name))

/* Seconds as a number (possibly fractional, from time.time()) or a string. */
static int
seconds(rh_event_parser *p, int64_t *out, rh_jv v)
{
	double d;
	const char *s;
	char *end;

	if (v == JNONE)
		return 0;
	switch (JTYPE(p, v)) {
	case RH_J_NUMBER: d = rh_events__num_double(p, v); break;
	case RH_J_STRING:
		s = JSTR(p, v);
		if (!*s)
			return 0;
		d = strtod(s, &end);
		if (*end || end == s)
			return rh_events__bad(
				p, "\"timestamp\" is not a number: \"%.40s\"",
				s);
		break;
	default: return rh_events__bad(p, "\"timestamp\" is not a number");
	}
	if (!(d > -9.2e9 && d < 9.2e9))
		return rh_events__bad(p, "\"timestamp\" is out of range");
	/* Round to whole microseconds: time.time() carries no more. */
	*out = (int64_t)(d * 1e6 + (d >= 0 ? 0.5 : -0.5)) * 1000;
	return 0;
}

int
rh_events__legacy(rh_event_parser *p, rh_jv obj)
{
	rh_event ev;
	rh_event_cluster *c = &ev.u.cluster;
	rh_jv cf, v;
	const char *msg = NULL;
	int error;

	rh_events__record_init(&ev, RH_EVENT_FORMAT_LEGACY);
	c->pid = -1;
	c->time_ns = RH_TIME_NONE;
	p->snake = 1;
	TRY(rh_events__str(p, &c->event_id, GET(obj, "event_id"), "event_id"));
	if (!c->event_id || !*c->event_id)
		return rh_events__bad(p, "no \"event_id\"");
	TRY(rh_events__str(p, &c->source_type, GET(obj, "source_type"),
	                   "source_type"));
	if ((v = GET(obj, "source_hostname")) == JNONE)
		v = GET(obj, "host_name");
	TRY(rh_events__str(p, &c->host_name, v, "host_name"));
	if ((v = GET(obj, "source_pid")) == JNONE)
		v = GET(obj, "pid");
	TRY(rh_events__int(p, &c->pid, v, "pid"));
	TRY(rh_events__str(p, &c->severity, GET(obj, "severity"), "severity"));
	TRY(rh_events__str(p, &c->label, GET(obj, "label"), "label"));
	TRY(rh_events__str(p, &msg, GET(obj, "message"), "message"));
	c->message = rh_events__restore_newlines(p, msg);
	if ((v = GET(obj, "timestamp")) == JNONE)
		v = GET(obj, "time_stamp");
	TRY(seconds(p, &c->time_ns, v));
	if ((cf = GET(obj, "custom_fields")) != JNONE) {
		if (!JIS(p, cf, RH_J_OBJECT))
			return rh_events__bad(
				p, "\"custom_fields\" is not an object");
		TRY(rh_events__json(p, &c->custom_fields, cf, 0));
		TRY(rh_events__str(p, &c->job_id, GET(cf, "job_id"), "job_id"));
		if (c->job_id && !*c->job_id)
			c->job_id = NULL;
	}
	ev.event_id = c->event_id;
	ev.time_ns = c->time_ns;
	ev.kind = RH_EVENT_CLUSTER;
	return rh_events__emit(p, &ev);
}
