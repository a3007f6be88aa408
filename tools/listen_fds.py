"""Start a program the way systemd's socket activation does: ``python -m tools.listen_fds FD
PROGRAM [ARGS ...]`` execs PROGRAM with the open socket FD as file descriptor 3 and
``LISTEN_FDS=1``, ``LISTEN_PID=<its pid>`` (sd_listen_fds(3)), which gunicorn reads.

The stack (tools/stack.py) keeps each instance's listening socket open itself, as systemd does
with deploy/systemd/screening@.socket, so a gunicorn instance that dies or restarts leaves its
waiting connections queued for the next one instead of reset.
"""

from __future__ import annotations

import os
import sys

SD_LISTEN_FDS_START = 3


def main(arguments: list[str]) -> None:
    inherited, program = int(arguments[0]), arguments[1:]
    if inherited != SD_LISTEN_FDS_START:
        os.dup2(inherited, SD_LISTEN_FDS_START)
        os.close(inherited)
    os.set_inheritable(SD_LISTEN_FDS_START, True)
    # exec keeps the pid, so this is the pid gunicorn will see as its own.
    os.environ |= {"LISTEN_FDS": "1", "LISTEN_PID": str(os.getpid())}
    os.execvp(program[0], program)


if __name__ == "__main__":
    main(sys.argv[1:])
