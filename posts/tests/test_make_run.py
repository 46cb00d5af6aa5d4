"""`make run` as a person uses it: started in a terminal, stopped with Ctrl-C."""

import os
import pty
import select
import socket
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ctrl_c_stops_make_run_without_reading_as_a_failure(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    pid, terminal = pty.fork()
    if pid == 0:  # the child: make run in a terminal of its own, as from a shell
        os.chdir(BASE_DIR)
        os.execvpe("make", ["make", "--no-print-directory", "run", f"PORT={free_port()}"], env)
    output, interrupted, deadline = b"", False, time.monotonic() + 180
    while time.monotonic() < deadline:
        if select.select([terminal], [], [], 0.5)[0]:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not interrupted and b"capture.worker" in output and b"started" in output and b"CONTROL-C" in output:
            os.write(terminal, b"\x03")  # Ctrl-C reaches the whole foreground group, as in a terminal
            interrupted = True
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert interrupted, text[-2000:]
    assert "stopping" in text and "capture_queue: " in text, text[-2000:]  # the worker stopped cleanly
    assert "make: ***" not in text and "Error" not in text.split("SIGINT")[-1]
