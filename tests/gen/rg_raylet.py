"""The raylet's object manager in logs/debug_state.txt.

NodeManager::DebugString() (the periodic dump the raylet writes to
debug_state.txt) appends ObjectManager::DebugString() after its scheduler
sections; its counters open with the number of objects in the node's local
object store (src/ray/object_manager/object_manager.cc), which Ray's node
detail reports as raylet.storeStats.numLocalObjects. Used by
rg_session.write_debug_state.
"""


def local_objects(node):
    """Objects still held on the node at its last dump: one return value per
    task attempt its workers ran (deterministic: no random draw, so the rest
    of the session does not change)."""
    return sum(len(w.attempts) for w in node.workers)


def object_manager_section(node):
    """The ObjectManager counters, in the order and wording Ray prints."""
    return ("ObjectManager:\n"
            "- num local objects: %d\n"
            "- num unfulfilled push requests: 0\n"
            "- num object pull requests: 0\n"
            "- num chunks received total: 0\n"
            "- num chunks received failed (all): 0\n"
            "- num chunks received failed / cancelled: 0\n"
            "- num chunks received failed / plasma error: 0\n" % local_objects(node))
