"""Start outbox sender processes quickly, for the kill test.

Importing aiogram takes seconds (it builds hundreds of pydantic models), far longer
than the sender runs between two kills. This launcher imports ``school_journal.sender``
once, then for every JSON list of arguments it reads on stdin forks a child that runs
``school_journal.sender.main(args)`` — the same entry as ``python -m
school_journal.sender`` — prints ``started PID``, waits for the child and prints
``exited PID STATUS`` (the signal
number, negated, if the child was killed).
"""

from __future__ import annotations

import json
import os
import sys

from school_journal.sender import main


def serve() -> int:
    print("ready", flush=True)
    for line in sys.stdin:
        argv = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: a sender process of its own
            code = 1
            try:
                code = main(argv)
            finally:
                os._exit(code)
        print(f"started {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"exited {pid} {code}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
