"""Worker output the driver prints: Ray's log monitor forwards every worker
line to its job's driver, which prints it behind a coloured prefix
(python/ray/_private/worker.py print_worker_logs):

    "{Style.DIM}{Fore.CYAN}({task_name} pid={pid}, ip={ip}){Style.RESET_ALL} {line}"

so a submitted job's job-driver-<id>.log holds ANSI escape codes, the bytes
the logs API's filter_ansi_code=true removes. Used by
rg_session.write_job_driver_logs.
"""

DIM, CYAN, RESET_ALL = "\x1b[2m", "\x1b[36m", "\x1b[0m"   # colorama's codes


def forwarded(task_name, pid, ip, message):
    return "%s%s(%s pid=%d, ip=%s)%s %s\n" % (DIM, CYAN, task_name, pid, ip, RESET_ALL, message)
