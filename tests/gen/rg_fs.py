"""Writing a node's directory while keeping the generator's own ledger of it.

The truth's file list (path, type, size) comes from this ledger - what the
generator wrote - never from walking the output afterwards.
"""

import os
import socket


class Tracked:
    """An append-only file that knows its size (task log offsets are read
    from .pos before and after a task's output)."""

    def __init__(self, fs, rel, mode="wb"):
        self.fs, self.rel = fs, rel
        self.f = open(fs.path(rel), mode)
        self.pos = self.f.tell() if "a" in mode else 0

    def write(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.f.write(data)
        self.pos += len(data)
        return len(data)

    def close(self):
        self.f.close()
        self.fs.entries[self.rel] = {"type": "file", "size": self.pos}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class NodeFS:
    """One node's Ray temp root (what /tmp/ray is on that machine)."""

    def __init__(self, root):
        self.root = root
        self.entries = {}
        os.makedirs(root, exist_ok=True)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def mkdir(self, rel):
        os.makedirs(self.path(rel), exist_ok=True)
        self.entries.setdefault(rel, {"type": "dir"})

    def _parent(self, rel):
        parent = os.path.dirname(rel)
        if parent:
            self.mkdir(parent)

    def open(self, rel, append=False):
        self._parent(rel)
        return Tracked(self, rel, "ab" if append else "wb")

    def write(self, rel, data):
        with self.open(rel) as t:
            t.write(data)

    def symlink(self, rel, target):
        self._parent(rel)
        p = self.path(rel)
        if os.path.lexists(p):
            os.unlink(p)
        os.symlink(target, p)
        self.entries[rel] = {"type": "symlink", "target": target}

    def socket(self, rel):
        """A real, unconnected unix socket. bind() takes the path relative to
        the cwd because sun_path holds only 108 bytes."""
        self._parent(rel)
        d, name = os.path.split(self.path(rel))
        if os.path.lexists(self.path(rel)):
            os.unlink(self.path(rel))
        cwd = os.getcwd()
        os.chdir(d)
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(name)
            s.close()
        finally:
            os.chdir(cwd)
        self.entries[rel] = {"type": "socket"}

    def listing(self):
        """Files, links and sockets (directories are implied), sorted by path."""
        out = []
        for rel in sorted(self.entries):
            e = self.entries[rel]
            if e["type"] != "dir":
                out.append(dict(path=rel, **e))
        return out
