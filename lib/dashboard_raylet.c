/* dashboard_raylet.c - what a node's own files say of its raylet, for the
 * raylet object of Ray's node detail (GcsNodeInfo and GetNodeStatsReply
 * fields that no event carries):
 *
 *   ports_by_node.json   {"IP:PLASMA_SOCKET": {"metrics_export_port": N,
 *                         "runtime_env_agent_port": N, ...}} (node.py
 *                         _get_cached_port): the object store's socket and
 *                         the ports the raylet was started with
 *   sockets/raylet*      the raylet's socket, which capture lists as skipped
 *                         (a socket holds no bytes) beside the plasma one
 *   logs/raylet.out      "Raylet of id, ... object_manager address: IP:PORT"
 *                         (raylet.cc RegisterGcs)
 *   logs/debug_state.txt the raylet's last state dump; its ObjectManager
 *                         section's "- num local objects: N"
 *
 * Read when a snapshot is built (dashboard_session.c), copied by a refresh
 * while those files are unchanged (rh_dashboard__raylet_key); a missing or
 * damaged file leaves its fields unknown, never the node. */
#include "dashboard_internal.h"
#include "catalog_manifest.h"

#include <stdio.h>

#define HEAD_BYTES (64u << 10) /* raylet.out: its start lines come first */
#define SMALL_FILE (1u << 20)  /* ports_by_node.json, debug_state.txt */

void
rh_dashboard__raylet_free(rh_dash_raylet *r)
{
	if (!r)
		return;
	free(r->raylet_socket);
	free(r->store_socket);
	free(r);
}

/* The first `max` bytes of a captured file; RH_ENOTFOUND when it was not
 * captured. */
static int
read_file(rh_buf *out, rh_store *st, const rh_session_ref *s,
          const rh_node_manifest *m, const char *path, size_t max)
{
	rh_logfile *f = NULL;
	int error;

	if (!rh_node_manifest_find(m, path))
		return RH_ENOTFOUND;
	if ((error = rh_logfile_open_manifest(&f, st, s, m, path)) == 0)
		error = rh_logfile_read(out, f, 0, max);
	rh_logfile_close(f);
	return error;
}

static int
json_port(json_object *ports, const char *key)
{
	json_object *v;
	int64_t p;

	if (!json_object_object_get_ex(ports, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	p = json_object_get_int64(v);
	return p > 0 && p <= 65535 ? (int)p : 0;
}

/* ports_by_node.json: the entry of this node's IP (a temp dir shared by
 * several nodes of one host lists each), else the only one. Its key is
 * "IP:SOCKET" with SOCKET an absolute path, so it splits at ":/" (an IPv6
 * address holds ':' but no '/'). */
static int
from_ports(rh_dash_raylet *r, const char *text, const char *ip)
{
	json_object *root = json_tokener_parse(text), *pick = NULL;
	const char *key = NULL;
	size_t iplen = ip ? strlen(ip) : 0;
	int n = 0, exact = 0, error = 0;

	if (!root || !json_object_is_type(root, json_type_object))
		goto done;
	json_object_object_foreach(root, k, v)
	{
		const char *sep = strstr(k, ":/");

		if (!sep || !json_object_is_type(v, json_type_object))
			continue;
		n++;
		if (iplen && (size_t)(sep - k) == iplen &&
		    !strncmp(k, ip, iplen)) {
			pick = v, key = k, exact = 1;
			break;
		}
		if (!pick)
			pick = v, key = k;
	}
	if (!pick || (!exact && n > 1))
		goto done; /* several nodes, none of them this one */
	if (!(r->store_socket = rh__strdup(strstr(key, ":/") + 1))) {
		error = RH_ENOMEM;
		goto done;
	}
	r->metrics_export_port = json_port(pick, "metrics_export_port");
	r->runtime_env_agent_port = json_port(pick, "runtime_env_agent_port");
done:
	json_object_put(root);
	return error;
}

/* The raylet's socket: in the plasma socket's folder, the skipped socket
 * "sockets/raylet" with the plasma one's suffix (node.py makes both with
 * _make_inc_temp: "plasma_store.1" goes with "raylet.1"). */
static int
from_skipped(rh_dash_raylet *r, const rh_node_manifest *m)
{
	const char *slash, *base, *suffix;
	rh_buf want = RH_BUF_INIT, full = RH_BUF_INIT;
	size_t i;
	int error = 0;

	if (!r->store_socket || !(slash = strrchr(r->store_socket, '/')))
		return 0;
	base = slash + 1;
	if (strncmp(base, "plasma_store", 12))
		return 0;
	suffix = base + 12;
	if ((error = rh_buf_printf(&want, "sockets/raylet%s", suffix)) < 0)
		goto done;
	for (i = 0; i < m->nskipped; i++) {
		if (strcmp(m->skipped[i].path, want.ptr) ||
		    strcmp(m->skipped[i].why, "socket"))
			continue;
		if ((error = rh_buf_printf(&full, "%.*s/raylet%s",
		                           (int)(slash - r->store_socket),
		                           r->store_socket, suffix)) < 0)
			goto done;
		r->raylet_socket = full.ptr, full.ptr = NULL;
		break;
	}
done:
	rh_buf_dispose(&want);
	rh_buf_dispose(&full);
	return error;
}

/* "... object_manager address: IP:PORT hostname: ..." */
static void
from_raylet_out(rh_dash_raylet *r, const char *text)
{
	static const char key[] = " object_manager address: ";
	const char *p = strstr(text, "Raylet of id, "), *e, *colon = NULL;
	long v;

	if (!p || !(p = strstr(p, key)))
		return;
	p += sizeof(key) - 1;
	for (e = p; *e && *e != ' ' && *e != '\n'; e++)
		if (*e == ':')
			colon = e;
	if (!colon)
		return;
	v = strtol(colon + 1, NULL, 10);
	if (v > 0 && v <= 65535)
		r->object_manager_port = (int)v;
}

/* "ObjectManager:\n- num local objects: N" of the last dump. */
static void
from_debug_state(rh_dash_raylet *r, const char *text)
{
	static const char key[] = "ObjectManager:\n- num local objects: ";
	const char *p = strstr(text, key);
	char *end;
	long long v;

	if (!p)
		return;
	v = strtoll(p + sizeof(key) - 1, &end, 10);
	if (end != p + sizeof(key) - 1 && v >= 0 && (*end == '\n' || !*end))
		r->num_local_objects = v;
}

static const char *const SOURCES[] = { "ports_by_node.json", "logs/raylet.out",
	                               "logs/debug_state.txt" };

uint64_t
rh_dashboard__raylet_key(const rh_node_manifest *m)
{
	rh_buf b = RH_BUF_INIT;
	uint64_t key = 0;
	size_t i;
	int error = 0;

	for (i = 0; i < RH_ARRAY_SIZE(SOURCES) && !error; i++) {
		const rh_file_info *fi = rh_node_manifest_find(m, SOURCES[i]);

		if (fi)
			error = rh_buf_printf(
				&b, "%s %llu %llu %lld %zu\n", fi->path,
				(unsigned long long)fi->size,
				(unsigned long long)fi->stored,
				(long long)fi->mtime_ms, fi->nparts);
	}
	for (i = 0; i < m->nskipped && !error; i++)
		if (!strncmp(m->skipped[i].path, "sockets/", 8))
			error = rh_buf_printf(&b, "%s\n", m->skipped[i].path);
	if (!error)
		error = rh_buf_printf(
			&b, "%s",
			rh_node_manifest_ip(m) ? rh_node_manifest_ip(m) : "");
	if (!error)
		key = rh__fnv1a(b.ptr, b.size);
	else
		rh_error_clear(); /* no key: the facts are read again */
	rh_buf_dispose(&b);
	return key;
}

int
rh_dashboard__raylet_copy(rh_dash_raylet **out, const rh_dash_raylet *r)
{
	rh_dash_raylet *c;

	*out = NULL;
	if (!(c = rh__calloc(1, sizeof(*c))))
		return RH_ENOMEM;
	*c = *r;
	c->raylet_socket = c->store_socket = NULL;
	if ((r->raylet_socket &&
	     !(c->raylet_socket = rh__strdup(r->raylet_socket))) ||
	    (r->store_socket &&
	     !(c->store_socket = rh__strdup(r->store_socket)))) {
		rh_dashboard__raylet_free(c);
		return RH_ENOMEM;
	}
	*out = c;
	return 0;
}

/* Read a file into b: 1 when read, 0 when absent or unreadable (its
 * fields stay unknown), RH_ENOMEM. */
static int
got(rh_buf *b, rh_store *st, const rh_session_ref *s, const rh_node_manifest *m,
    const char *path, size_t max)
{
	int error;

	rh_buf_clear(b);
	if ((error = read_file(b, st, s, m, path, max)) == RH_ENOMEM)
		return error;
	rh_error_clear();
	return error == 0 && b->ptr;
}

int
rh_dashboard__raylet_load(rh_dash_raylet **out, rh_store *st,
                          const rh_session_ref *s, const rh_node_manifest *m)
{
	rh_dash_raylet *r;
	rh_buf b = RH_BUF_INIT;
	int error;

	*out = NULL;
	if (!(r = rh__calloc(1, sizeof(*r))))
		return RH_ENOMEM;
	r->num_local_objects = -1;
	r->key = rh_dashboard__raylet_key(m);
	if ((error = got(&b, st, s, m, "ports_by_node.json", SMALL_FILE)) < 0 ||
	    (error > 0 &&
	     (error = from_ports(r, b.ptr, rh_node_manifest_ip(m))) < 0) ||
	    (error = from_skipped(r, m)) < 0)
		goto done;
	if ((error = got(&b, st, s, m, "logs/raylet.out", HEAD_BYTES)) < 0)
		goto done;
	if (error)
		from_raylet_out(r, b.ptr);
	if ((error = got(&b, st, s, m, "logs/debug_state.txt", SMALL_FILE)) < 0)
		goto done;
	if (error)
		from_debug_state(r, b.ptr);
	error = 0;
	*out = r, r = NULL;
done:
	rh_buf_dispose(&b);
	rh_dashboard__raylet_free(r);
	return error;
}
