#!/usr/bin/env python3
"""Run a shell command several times; print its median wall time in seconds.

usage: timeit.py [-n RUNS] [--peak-rss] -- COMMAND...
With --peak-rss also print the largest resident set size (KiB) of any run,
read from wait4's rusage, so the numbers come from one and the same run.
Output: one line "median_s=<float> min_s=<float> [peak_rss_kib=<int>]".
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    runs, peak = 5, False
    while args and args[0] != "--":
        if args[0] == "-n":
            runs = int(args[1])
            args = args[2:]
        elif args[0] == "--peak-rss":
            peak = True
            args = args[1:]
        else:
            sys.exit("timeit.py: unknown option " + args[0])
    cmd = args[1:]
    times, rss = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, shell=len(cmd) == 1, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        times.append(time.perf_counter() - t0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit("timeit.py: command failed: %s" % " ".join(cmd))
        rss = max(rss, usage.ru_maxrss)
    line = "median_s=%.6f min_s=%.6f" % (statistics.median(times), min(times))
    if peak:
        line += " peak_rss_kib=%d" % rss
    print(line)


if __name__ == "__main__":
    main()
