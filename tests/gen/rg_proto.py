"""A small protobuf-to-JSON printer for the messages raygen emits.

Ray turns protobuf messages into JSON in three places (§4a, §4b, §4c of
ray-formats.md) and all follow the same rules, which this module reproduces
without the protobuf package:

* bytes -> base64, int64/uint64 -> decimal strings, enums -> names,
  google.protobuf.Timestamp -> RFC 3339 ("Z", 0/3/6/9 fraction digits).
* always_print_fields_with_no_presence / including_default_value_fields:
  scalars, repeated fields and maps that hold their default value are still
  printed; fields with presence (sub-messages, `optional` scalars, oneof
  members) are printed only when set.
* Python's json_format emits the set fields first, in field-number order,
  then appends the defaulted ones in field-number order. That is why Ray's own
  doc example ends with '"taskAttempt":0,"taskType":"NORMAL_TASK",
  "language":"PYTHON","refIds":{}' and, on the envelope, '"message":""' (§4c).
* lowerCamelCase field names by default, proto (snake_case) names with
  preserving_proto_field_name. Map keys are never renamed.

Field numbers come from src/ray/protobuf/public/*.proto (read for this
generator); the field lists themselves are the ones given in §4b/§4c.
"""

import functools

from rg_util import b64, rfc3339

# Field kinds -----------------------------------------------------------------
STR, BYTES, I32, U32, I64, U64, BOOL, DBL, TS = (
    "str", "bytes", "i32", "u32", "i64", "u64", "bool", "dbl", "ts")
ANY = "any"   # a pre-built nested dict (e.g. a death cause); keys renamed only


def enum(default):
    return ("enum", default)


def msg(name):
    return ("msg", name)


def rep(kind):
    return ("rep", kind)


def mapof(kind):
    return ("map", kind)


def opt(kind):
    return ("opt", kind)


FD = msg("FunctionDescriptor")

SCHEMAS = {
    # --- RayEvent (events_base_event.proto) ------------------------------------
    "RayEvent": [
        ("event_id", BYTES), ("source_type", enum("SOURCE_TYPE_UNSPECIFIED")),
        ("event_type", enum("EVENT_TYPE_UNSPECIFIED")), ("timestamp", TS),
        ("severity", enum("EVENT_SEVERITY_UNSPECIFIED")), ("message", STR),
        ("session_name", STR),
        ("task_definition_event", msg("TaskDefinitionEvent")),
        ("task_lifecycle_event", msg("TaskLifecycleEvent")),
        ("actor_task_definition_event", msg("ActorTaskDefinitionEvent")),
        ("task_profile_events", msg("TaskProfileEvents")),
        ("driver_job_definition_event", msg("DriverJobDefinitionEvent")),
        ("driver_job_lifecycle_event", msg("DriverJobLifecycleEvent")),
        ("node_definition_event", msg("NodeDefinitionEvent")),
        ("node_lifecycle_event", msg("NodeLifecycleEvent")),
        ("actor_definition_event", msg("ActorDefinitionEvent")),
        ("actor_lifecycle_event", msg("ActorLifecycleEvent")),
        # Newest Ray only; field numbers not retrieved, placed after 17.
        ("placement_group_definition_event", msg("PlacementGroupDefinitionEvent")),
        ("placement_group_lifecycle_event", msg("PlacementGroupLifecycleEvent")),
        ("node_id", opt(BYTES)),   # newest docs; emitted from 2.50 (see rg_util)
    ],
    "FunctionDescriptor": [("python_function_descriptor", msg("PythonFunctionDescriptor"))],
    "PythonFunctionDescriptor": [("module_name", STR), ("class_name", STR),
                                 ("function_name", STR), ("function_hash", STR)],
    "TaskDefinitionEvent": [
        ("task_id", BYTES), ("task_attempt", I32), ("task_type", enum("NORMAL_TASK")),
        ("language", enum("PYTHON")), ("task_func", FD), ("task_name", STR),
        ("required_resources", mapof(DBL)), ("runtime_env_info", msg("RuntimeEnvInfo")),
        ("job_id", BYTES), ("parent_task_id", BYTES), ("placement_group_id", BYTES),
        ("ref_ids", mapof(BYTES)), ("serialized_runtime_env", STR),
    ],
    "ActorTaskDefinitionEvent": [
        ("task_id", BYTES), ("task_attempt", I32), ("language", enum("PYTHON")),
        ("actor_func", FD), ("actor_task_name", STR), ("required_resources", mapof(DBL)),
        ("runtime_env_info", msg("RuntimeEnvInfo")), ("job_id", BYTES), ("actor_id", BYTES),
        ("parent_task_id", BYTES), ("placement_group_id", BYTES), ("ref_ids", mapof(BYTES)),
        ("serialized_runtime_env", STR),
    ],
    "RuntimeEnvInfo": [("serialized_runtime_env", STR)],
    "TaskLifecycleEvent": [
        ("task_id", BYTES), ("task_attempt", I32),
        ("state_transitions", rep(msg("TaskStateTransition"))),
        ("ray_error_info", msg("RayErrorInfo")), ("node_id", BYTES), ("worker_id", BYTES),
        ("worker_pid", I32), ("job_id", BYTES), ("is_debugger_paused", opt(BOOL)),
        ("actor_repr_name", opt(STR)), ("task_log_info", msg("TaskLogInfo")),
    ],
    "TaskStateTransition": [("state", enum("NIL")), ("timestamp", TS)],
    # The one captured Ray 2.56 line prints stdoutStart/stderrStart but no
    # stdoutEnd, i.e. these behave as fields with presence (specimens README).
    "TaskLogInfo": [("stdout_file", opt(STR)), ("stderr_file", opt(STR)),
                    ("stdout_start", opt(I64)), ("stdout_end", opt(I64)),
                    ("stderr_start", opt(I64)), ("stderr_end", opt(I64))],
    # common.proto RayErrorInfo: error_message = 5, error_type = 6 (WORKER_DIED = 0).
    "RayErrorInfo": [("error_message", STR), ("error_type", enum("WORKER_DIED"))],
    "TaskProfileEvents": [("task_id", BYTES), ("attempt_number", I32), ("job_id", BYTES),
                          ("profile_events", msg("ProfileEvents"))],
    "ProfileEvents": [("component_type", STR), ("component_id", BYTES),
                      ("node_ip_address", STR), ("events", rep(msg("ProfileEventEntry")))],
    "ProfileEventEntry": [("start_time", I64), ("end_time", I64),
                          ("extra_data", opt(STR)), ("event_name", STR)],
    "DriverJobDefinitionEvent": [("job_id", BYTES), ("driver_pid", I64),
                                 ("driver_node_id", BYTES), ("entrypoint", STR),
                                 ("config", msg("DriverJobConfig"))],
    "DriverJobConfig": [("serialized_runtime_env", STR), ("metadata", mapof(STR))],
    "DriverJobLifecycleEvent": [("job_id", BYTES),
                                ("state_transitions", rep(msg("DriverJobStateTransition")))],
    "DriverJobStateTransition": [("state", enum("UNSPECIFIED")), ("timestamp", TS),
                                 ("message", STR), ("error_type", STR),
                                 ("exit_code", opt(I32))],
    "NodeDefinitionEvent": [("node_id", BYTES), ("node_ip_address", STR),
                            ("labels", mapof(STR)), ("start_timestamp", TS),
                            ("instance_type_name", STR)],
    "NodeLifecycleEvent": [("node_id", BYTES),
                           ("state_transitions", rep(msg("NodeStateTransition")))],
    # The docs example prints "state":"ALIVE","aliveSubState":"UNSPECIFIED" after
    # "resources": ALIVE is the enum default there (ALIVE = 0; DEAD = 1).
    "NodeStateTransition": [("state", enum("ALIVE")), ("timestamp", TS),
                            ("resources", mapof(DBL)), ("death_info", msg("NodeDeathInfo")),
                            ("alive_sub_state", enum("UNSPECIFIED"))],
    "NodeDeathInfo": [("reason", enum("UNSPECIFIED")), ("reason_message", STR)],
    "ActorDefinitionEvent": [
        ("actor_id", BYTES), ("job_id", BYTES), ("is_detached", BOOL), ("name", STR),
        ("ray_namespace", STR), ("serialized_runtime_env", STR), ("class_name", STR),
        ("required_resources", mapof(DBL)), ("placement_group_id", BYTES),
        ("label_selector", mapof(STR)),
    ],
    "ActorLifecycleEvent": [("actor_id", BYTES),
                            ("state_transitions", rep(msg("ActorStateTransition")))],
    "ActorStateTransition": [
        ("state", enum("DEPENDENCIES_UNREADY")), ("timestamp", TS), ("node_id", BYTES),
        ("worker_id", BYTES), ("repr_name", STR), ("death_cause", opt(ANY)), ("pid", U32),
        ("port", I32), ("restart_reason", enum("ACTOR_FAILURE")),
    ],
    "PlacementGroupDefinitionEvent": [
        ("placement_group_id", BYTES), ("name", STR), ("ray_namespace", STR),
        ("strategy", enum("PACK")), ("is_detached", BOOL), ("creator_job_id", BYTES),
        ("creator_actor_id", BYTES), ("bundles", rep(msg("BundleSpec"))),
        ("soft_target_node_id", BYTES), ("creation_request_received_ns", I64),
    ],
    "BundleSpec": [("bundle_index", I32), ("unit_resources", mapof(DBL)),
                   ("label_selector", mapof(STR))],
    "PlacementGroupLifecycleEvent": [("placement_group_id", BYTES),
                                     ("state_transitions", rep(msg("PGStateTransition")))],
    "PGStateTransition": [("state", enum("PENDING")), ("timestamp", TS),
                          ("scheduling_state", enum("QUEUED")), ("scheduling_attempt", U32),
                          ("highest_retry_delay_ms", DBL)],

    # --- Export API (§4b, export_api/*.proto) ----------------------------------
    "ExportTaskEventData": [
        ("task_id", BYTES), ("attempt_number", I32), ("task_info", msg("ExportTaskInfoEntry")),
        ("state_updates", msg("ExportTaskStateUpdate")),
        ("profile_events", msg("ProfileEvents")), ("job_id", BYTES),
    ],
    "ExportTaskInfoEntry": [
        ("type", enum("NORMAL_TASK")), ("language", enum("PYTHON")),
        ("func_or_class_name", STR), ("task_id", BYTES), ("parent_task_id", BYTES),
        ("required_resources", mapof(DBL)), ("runtime_env_info", opt(ANY)),
        ("actor_id", opt(BYTES)), ("placement_group_id", opt(BYTES)),
    ],
    "ExportTaskStateUpdate": [
        ("node_id", opt(BYTES)), ("worker_id", opt(BYTES)),
        ("error_info", msg("ExportRayErrorInfo")), ("task_log_info", msg("ExportTaskLogInfo")),
        ("worker_pid", opt(I32)), ("is_debugger_paused", opt(BOOL)),
        # map<int32, int64>: keys become strings, values int64 strings.
        ("state_ts_ns", mapof(I64)),
    ],
    "ExportRayErrorInfo": [("error_message", STR), ("error_type", enum("WORKER_DIED"))],
    # export_task_event.proto: optional int32 offsets -> JSON numbers.
    "ExportTaskLogInfo": [("stdout_file", opt(STR)), ("stderr_file", opt(STR)),
                          ("stdout_start", opt(I32)), ("stdout_end", opt(I32)),
                          ("stderr_start", opt(I32)), ("stderr_end", opt(I32))],
    "ExportActorData": [
        ("actor_id", BYTES), ("job_id", BYTES), ("state", enum("DEPENDENCIES_UNREADY")),
        ("is_detached", BOOL), ("name", STR), ("pid", U32), ("ray_namespace", STR),
        ("serialized_runtime_env", STR), ("class_name", STR), ("death_cause", opt(ANY)),
        ("required_resources", mapof(DBL)), ("node_id", opt(BYTES)),
        ("placement_group_id", opt(BYTES)), ("repr_name", STR),
    ],
    "ExportNodeData": [
        ("node_id", BYTES), ("node_manager_address", STR), ("state", enum("ALIVE")),
        ("resources_total", mapof(DBL)), ("node_name", STR), ("start_time_ms", U64),
        ("end_time_ms", U64), ("is_head_node", BOOL), ("labels", mapof(STR)),
        ("death_info", msg("NodeDeathInfo")),
    ],
    "ExportDriverJobEventData": [
        ("job_id", BYTES), ("is_dead", BOOL), ("driver_pid", I64),
        ("config", msg("ExportJobConfig")), ("start_time", U64), ("end_time", U64),
        ("entrypoint", STR), ("driver_ip_address", STR),
    ],
    "ExportJobConfig": [("runtime_env_info", opt(ANY)), ("metadata", mapof(STR))],
    "ExportSubmissionJobEventData": [
        ("submission_job_id", STR), ("status", enum("PENDING")), ("entrypoint", STR),
        ("message", opt(STR)), ("error_type", opt(STR)), ("start_time", opt(U64)),
        ("end_time", opt(U64)), ("metadata", mapof(STR)), ("runtime_env_json", opt(STR)),
        ("driver_agent_http_address", opt(STR)), ("driver_node_id", opt(STR)),
        ("driver_exit_code", opt(I32)),
    ],

    # --- Legacy event.proto (§4a), printed by the Python writer ----------------
    "Event": [
        ("event_id", STR), ("source_type", enum("COMMON")), ("source_hostname", STR),
        ("source_pid", I32), ("severity", enum("INFO")), ("label", STR), ("message", STR),
        ("timestamp", I64), ("custom_fields", mapof(STR)),
    ],
}


@functools.lru_cache(maxsize=None)
def camel(name):
    """protoc's json_name: drop each '_' and upper-case the next letter."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _rename_keys(obj, use_camel):
    if isinstance(obj, dict):
        return {(camel(k) if use_camel else k): _rename_keys(v, use_camel) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rename_keys(v, use_camel) for v in obj]
    return obj


def _is_default(kind, value):
    if kind in (STR,):
        return value == ""
    if kind == BYTES:
        return value == b""
    if kind in (I32, U32, I64, U64):
        return value == 0
    if kind == BOOL:
        return value is False
    if kind == DBL:
        return value == 0
    if isinstance(kind, tuple) and kind[0] == "enum":
        return value == kind[1]
    if isinstance(kind, tuple) and kind[0] in ("rep", "map"):
        return len(value) == 0
    return False


def _has_presence(kind):
    return kind == TS or kind == ANY or (isinstance(kind, tuple) and kind[0] in ("msg", "opt"))


def _default_of(kind):
    return {STR: "", BYTES: b"", I32: 0, U32: 0, I64: 0, U64: 0, BOOL: False, DBL: 0.0}.get(
        kind, kind[1] if isinstance(kind, tuple) and kind[0] == "enum" else
        ([] if isinstance(kind, tuple) and kind[0] == "rep" else {}))


def _value(kind, v, use_camel):
    if isinstance(kind, tuple):
        tag = kind[0]
        if tag == "opt":
            return _value(kind[1], v, use_camel)
        if tag == "enum":
            return v
        if tag == "msg":
            return encode(kind[1], v, use_camel)
        if tag == "rep":
            return [_value(kind[1], x, use_camel) for x in v]
        if tag == "map":
            return {str(k): _value(kind[1], x, use_camel) for k, x in v.items()}
    if kind == BYTES:
        return b64(v)
    if kind in (I64, U64):
        return str(int(v))
    if kind in (I32, U32):
        return int(v)
    if kind == DBL:
        return float(v)
    if kind == BOOL:
        return bool(v)
    if kind == TS:
        return rfc3339(v)
    if kind == ANY:
        return _rename_keys(v, use_camel)
    return v


def encode(schema, values, use_camel=True):
    """Print `values` (proto field name -> Python value; absent = unset) as
    protobuf JSON would, returning an insertion-ordered dict."""
    fields = SCHEMAS[schema]
    known = {name for name, _ in fields}
    unknown = set(values) - known
    if unknown:
        raise KeyError("%s has no field(s) %s" % (schema, sorted(unknown)))
    first, defaults = [], []
    for name, kind in fields:
        key = camel(name) if use_camel else name
        if name in values and values[name] is not None:
            v = values[name]
            if _has_presence(kind) or not _is_default(kind, v):
                first.append((key, _value(kind, v, use_camel)))
                continue
            defaults.append((key, _value(kind, v, use_camel)))
        elif not _has_presence(kind):
            defaults.append((key, _value(kind, _default_of(kind), use_camel)))
    return dict(first + defaults)
