#!/usr/bin/env python3
"""Time shell commands side by side; print each one's median wall time.

usage: timeit.py [-n RUNS] [--peak-rss] [--cpu] -- CMD_A [-- CMD_B ...]

The commands run in turns (A, B, A, B, ...) so that load from other
processes on a shared machine falls on all of them alike. Each command is
one shell string. Output: one line per command,
"median_s=<float> min_s=<float> [peak_rss_kib=<int>] [cpu_s=<float>]", in
the order given; the peak RSS is the largest of any run of that command
(from wait4); cpu_s is the median user + system time of the command and
its children, which load from other processes changes much less than the
wall time.
"""
import os
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("timeit.py: command failed: %s" % cmd)
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def main():
    args = sys.argv[1:]
    runs, peak, cpu = 5, False, False
    while args and args[0] != "--":
        if args[0] == "-n":
            runs = int(args[1])
            args = args[2:]
        elif args[0] == "--peak-rss":
            peak = True
            args = args[1:]
        elif args[0] == "--cpu":
            cpu = True
            args = args[1:]
        else:
            sys.exit("timeit.py: unknown option " + args[0])
    cmds = [a for a in args if a != "--"]
    if not cmds:
        sys.exit(__doc__)
    times = [[] for _ in cmds]
    rss = [0 for _ in cmds]
    cpus = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            t, r, c = run_once(cmd)
            times[i].append(t)
            cpus[i].append(c)
            rss[i] = max(rss[i], r)
    for i in range(len(cmds)):
        line = "median_s=%.6f min_s=%.6f" % (statistics.median(times[i]), min(times[i]))
        if peak:
            line += " peak_rss_kib=%d" % rss[i]
        if cpu:
            line += " cpu_s=%.6f" % statistics.median(cpus[i])
        print(line)


if __name__ == "__main__":
    main()
