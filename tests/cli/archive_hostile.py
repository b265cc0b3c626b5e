#!/usr/bin/env python3
"""archive_hostile.py OUTDIR - write one hostile archive per case into OUTDIR
(for tests/cli/archive_import.sh). Each holds a valid one-node session
(raylet.out naming the node) plus the one bad entry, so the only reason to
refuse it is that entry. Prints the case names."""
import io
import os
import sys
import tarfile
import zipfile

S = "session_2025-01-02_03-04-05_678901_99"
NODE = "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
RAYLET = ("[2025-01-02 03:04:05,678 I 99 99] (raylet) main.cc:595: Setting node "
          "ID node_id=%s\n" % NODE).encode()


def tinfo(name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = 1735787045
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def tar(path, extra, mode="w"):
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as t:
        t.addfile(tinfo(S + "/logs/raylet.out", RAYLET), io.BytesIO(RAYLET))
        for ti, data in extra:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)


def raw_tar_huge(path):
    """A header claiming 100 GiB, followed by a few bytes: a reader that
    trusted the size would allocate or wait for it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        t.addfile(tinfo(S + "/logs/raylet.out", RAYLET), io.BytesIO(RAYLET))
        ti = tinfo(S + "/logs/huge.log", b"x" * 512)
        t.addfile(ti, io.BytesIO(b"x" * 512))
    data = bytearray(buf.getvalue())
    # find the second header and rewrite its size field (GNU base-256)
    off = 512 + ((len(RAYLET) + 511) // 512) * 512
    size = 100 << 30
    field = bytearray(12)
    field[0] = 0x80
    field[4:12] = size.to_bytes(8, "big")
    data[off + 124:off + 136] = field
    data[off + 148:off + 156] = b"        "
    chk = sum(data[off:off + 512])
    data[off + 148:off + 156] = b"%06o\0 " % chk
    open(path, "wb").write(bytes(data))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    p = lambda n: os.path.join(out, n)
    cases = []

    tar(p("dotdot.tar"), [(tinfo(S + "/../../escaped.txt", b"x"), b"x")])
    cases.append("dotdot.tar")
    tar(p("absolute.tar"), [(tinfo("/tmp/rayhist-escaped.txt", b"x"), b"x")])
    cases.append("absolute.tar")
    tar(p("device.tar"), [(tinfo(S + "/logs/null", type=tarfile.CHRTYPE,
                                 devmajor=1, devminor=3), None)])
    cases.append("device.tar")
    tar(p("fifo.tar"), [(tinfo(S + "/logs/pipe", type=tarfile.FIFOTYPE), None)])
    cases.append("fifo.tar")
    tar(p("duplicate.tar"), [(tinfo(S + "/logs/a.log", b"one\n"), b"one\n"),
                             (tinfo(S + "/logs/a.log", b"two\n"), b"two\n")])
    cases.append("duplicate.tar")
    # a link leaving the session, then a file written "through" it
    tar(p("link_through.tar"), [
        (tinfo(S + "/logs/out", type=tarfile.SYMTYPE, linkname=os.environ.get(
            "RH_OUTSIDE", "/tmp/rayhist-outside")), None),
        (tinfo(S + "/logs/out/planted.txt", b"x"), b"x")])
    cases.append("link_through.tar")
    tar(p("hardlink_out.tar"), [(tinfo(S + "/logs/passwd", type=tarfile.LNKTYPE,
                                       linkname="etc/passwd"), None)])
    cases.append("hardlink_out.tar")
    raw_tar_huge(p("huge.tar"))
    cases.append("huge.tar")
    # 200 MiB of zeros: a zstd tar of it is a few KiB
    zeros = b"\0" * (200 << 20)
    tar(p("bomb.tar"), [(tinfo(S + "/logs/zeros.log", zeros), zeros)])
    cases.append("bomb.tar")
    with zipfile.ZipFile(p("bomb.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(S + "/logs/raylet.out", RAYLET)
        z.writestr(S + "/logs/zeros.log", b"\0" * (64 << 20))
    cases.append("bomb.zip")
    with zipfile.ZipFile(p("dotdot.zip"), "w") as z:
        z.writestr(S + "/logs/raylet.out", RAYLET)
        z.writestr("../evil.txt", b"x")
    cases.append("dotdot.zip")
    print("\n".join(cases))


main()
