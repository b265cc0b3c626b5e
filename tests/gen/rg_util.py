"""Shared helpers for raygen: randomness, Ray ids, encodings, clocks, versions.

Every format fact cites ../../shared/reference/ray-formats.md (written "§N" below).
"""

import base64
import json
import random
import re
import struct
import time

# ---------------------------------------------------------------------------
# Determinism: every part of the generator draws from its own named stream, so
# adding draws in one part never shifts the values another part produces.
# Python seeds str arguments through SHA-512, which is stable across runs.


def rng_for(seed, purpose):
    return random.Random("raygen/%s/%s" % (seed, purpose))


# ---------------------------------------------------------------------------
# Ray ids (§4c "ID decoding": job 4 bytes, actor 16, task 24, node/worker 28;
# the docs' nil placement group id "////////////////////////" is 18 bytes).

JOB_ID_LEN = 4
ACTOR_ID_LEN = 16
TASK_ID_LEN = 24
NODE_ID_LEN = 28
WORKER_ID_LEN = 28
PG_ID_LEN = 18
EVENT_ID_LEN = 28          # RayEvent.event_id; the docs' examples decode to 28 bytes
NIL_JOB_ID = b"\xff" * 4   # prestarted workers carry no job: "ffffffff" in file names


def job_id(n):
    """JobID is a little-endian counter: job 1 is 01000000 ("AQAAAA==", §4c)."""
    return struct.pack("<I", n)


def nil_actor_id(job):
    return b"\xff" * 12 + job


def actor_id(rng, job):
    """12 unique bytes then the job id (specimen "jzsqHA2ef2pbTD0uAwAAAA==" ends in 03000000)."""
    return rng.randbytes(12) + job


def normal_task_id(rng, job):
    """8 unique bytes then the job's nil actor id (specimen "UYPGNywAXvb/////...8DAAAA")."""
    return rng.randbytes(8) + nil_actor_id(job)


def actor_task_id(rng, actor):
    return rng.randbytes(8) + actor


def actor_creation_task_id(actor):
    return b"\xff" * 8 + actor


def driver_task_id(job):
    """All-ff then the job id; its hex starts with DRIVER_TASK_ID_PREFIX (40 f's, §3.2)."""
    return b"\xff" * 8 + nil_actor_id(job)


def placement_group_id(rng, job):
    return rng.randbytes(PG_ID_LEN - JOB_ID_LEN) + job


def unique_id(rng, n=NODE_ID_LEN):
    return rng.randbytes(n)


def b64(raw):
    """Protobuf JSON prints bytes as standard base64 with padding (§0)."""
    return base64.b64encode(raw).decode("ascii")


def hex_event_id(rng, n=36, alphabet="0123456789abcdef"):
    """Legacy C++ events: 18 random bytes as 36 lowercase hex chars (§4a).
    The Python writer draws from string.hexdigits, which includes A-F."""
    return "".join(rng.choice(alphabet) for _ in range(n))


PY_HEXDIGITS = "0123456789abcdefABCDEF"


def alnum(rng, n):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                   for _ in range(n))


# ---------------------------------------------------------------------------
# Clocks. All model times are integer nanoseconds since the epoch, UTC.

NS = 1_000_000_000
MS = 1_000_000

_second_cache = {}


def _utc_second(sec, fmt):
    key = (sec, fmt)
    s = _second_cache.get(key)
    if s is None:
        if len(_second_cache) > 200_000:
            _second_cache.clear()
        s = time.strftime(fmt, time.gmtime(sec))
        _second_cache[key] = s
    return s


def rfc3339(ns):
    """google.protobuf.Timestamp in JSON: 'Z', and 0, 3, 6 or 9 fractional
    digits, whichever is shortest without losing precision (§4c examples show
    '...14.467290Z', '...57.009825296Z' and '...46:10Z')."""
    sec, nanos = divmod(ns, NS)
    base = _utc_second(sec, "%Y-%m-%dT%H:%M:%S")
    if nanos == 0:
        return base + "Z"
    if nanos % 1_000_000 == 0:
        return "%s.%03dZ" % (base, nanos // 1_000_000)
    if nanos % 1000 == 0:
        return "%s.%06dZ" % (base, nanos // 1000)
    return "%s.%09dZ" % (base, nanos)


def log_ts(ns):
    """Both Ray log line formats print 'YYYY-MM-DD HH:MM:SS,mmm' (§1.4)."""
    sec, rest = divmod(ns, NS)
    return "%s,%03d" % (_utc_second(sec, "%Y-%m-%d %H:%M:%S"), rest // MS)


def session_name(ns, pid):
    """session_<YYYY-MM-DD_HH-MM-SS_micro>_<pid> (§1.1; Ray uses local time, we use UTC)."""
    sec, rest = divmod(ns, NS)
    return "session_%s_%06d_%d" % (_utc_second(sec, "%Y-%m-%d_%H-%M-%S"), rest // 1000, pid)


def to_ms(ns):
    return None if ns is None else ns // MS


# ---------------------------------------------------------------------------
# Ray versions and the numeric TaskStatus (§5.1, §8).

TASK_STATUS_OLD = [
    "NIL", "PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "PENDING_OBJ_STORE_MEM_AVAIL",
    "PENDING_ARGS_FETCH", "SUBMITTED_TO_WORKER", "RUNNING", "RUNNING_IN_RAY_GET",
    "RUNNING_IN_RAY_WAIT", "FINISHED", "FAILED",
]
TASK_STATUS_NEW = [
    "NIL", "PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "PENDING_OBJ_STORE_MEM_AVAIL",
    "PENDING_ARGS_FETCH", "SUBMITTED_TO_WORKER", "PENDING_ACTOR_TASK_ARGS_FETCH",
    "PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY", "RUNNING", "RUNNING_IN_RAY_GET",
    "RUNNING_IN_RAY_WAIT", "FINISHED", "FAILED", "GETTING_AND_PINNING_ARGS",
]
# ray-project/ray PR #48242 (reviewed 2024-10-28) inserted the two
# PENDING_ACTOR_TASK_* states in the middle of the enum; the first release
# carrying it is taken to be 2.39. --task-status-numbering overrides.
NEW_TASK_STATUS_SINCE = (2, 39, 0)
# The newest docs show a top-level "nodeId" on every RayEvent (§4c); the docs
# examples date from Ray 2.49-2.51, so emit it from 2.50 on.
ENVELOPE_NODE_ID_SINCE = (2, 50, 0)


def parse_version(text):
    parts = [int(x) for x in re.findall(r"\d+", text)[:3]]
    if not parts:
        raise ValueError("not a Ray version: %r" % text)
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def task_status_names(version, numbering="auto"):
    if numbering == "old":
        return TASK_STATUS_OLD
    if numbering == "new":
        return TASK_STATUS_NEW
    return TASK_STATUS_NEW if version >= NEW_TASK_STATUS_SINCE else TASK_STATUS_OLD


# ---------------------------------------------------------------------------
# JSON writers. Three serialisers exist in Ray and each leaves its own marks.

def py_json(obj):
    """Python json.dumps defaults: ', ' and ': ' separators, insertion order,
    non-ASCII escaped. Used by the aggregator POST (aiohttp json=), the Python
    legacy event writer and the Python export writer (§4a, §4b, §4c)."""
    return json.dumps(obj)


def _cpp_numbers(obj):
    # C++ protobuf prints a whole double without ".0"; nlohmann then parses it
    # as an integer and prints it back the same way.
    if isinstance(obj, float) and obj.is_integer() and abs(obj) < 2 ** 53:
        return int(obj)
    if isinstance(obj, dict):
        return {k: _cpp_numbers(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_cpp_numbers(v) for v in obj]
    return obj


def cpp_json(obj):
    """nlohmann::json dump(): std::map-backed objects come out with keys sorted
    at every level, compact, UTF-8 unescaped (§4a shape (1), §4b)."""
    return json.dumps(_cpp_numbers(obj), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def strip_ansi(text):
    """The state API strips ANSI codes from error messages (§3.5)."""
    return re.sub("\x1b[^m]*m", "", text)
