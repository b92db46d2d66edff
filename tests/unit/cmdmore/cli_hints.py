#!/usr/bin/env python3
"""
redis-cli's interactive hints against a kernel-transport sluice.

redis-cli 7.0 reads COMMAND DOCS when it starts and, while a command is
typed, shows the arguments still to come in grey after the cursor. This
starts sluice (transport kernel, 127.0.0.1, --port), runs redis-cli in a
pseudo-terminal (RESP2, then RESP3 with -3), types the start of each
command below and checks that the hint redis-cli draws is the one it draws
against redis-server 7.0.15 (the expected hints were read off redis-cli
connected to redis-server 7.0.15). Both processes are stopped by PID.

    cli_hints.py SLUICE_BINARY [--port 7393]
    cli_hints.py --attach --port 6379   # against any running server
"""
import argparse
import os
import pty
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
import time

# typed text -> hint redis-cli shows after it (from redis-server 7.0.15)
CASES = [
    ("SET k v ", "[NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|"
                 "PXAT unix-time-milliseconds|KEEPTTL]"),
    ("SET ", "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|"
             "PXAT unix-time-milliseconds|KEEPTTL]"),
    ("EXPIRE k 10 ", "[NX|XX|GT|LT]"),
    ("HSET h ", "field value [field value ...]"),
    ("GETEX k ", "[EX seconds|PX milliseconds|EXAT unix-time-seconds|"
                 "PXAT unix-time-milliseconds|PERSIST]"),
    ("CLIENT NO-EVICT ", "ON|OFF"),
    ("SCAN 0 ", "[MATCH pattern] [COUNT count] [TYPE type]"),
]

HINT_START = b"\x1b[0;90;49m"  # linenoise's grey hint colour as redis-cli sets it


def wait_port(port, proc, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def read_for(fd, seconds):
    out = b""
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def read_until(fd, needle, seconds):
    out = b""
    end = time.time() + seconds
    while needle not in out and time.time() < end:
        out += read_for(fd, 0.1)
    return out


def hints(port, proto):
    """Runs redis-cli (-2 or -3) in a pty; returns {typed: bytes shown} for every case."""
    cli = shutil.which("redis-cli")
    if cli is None:
        sys.exit("redis-cli not found")
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, TERM="xterm", HOME=tempfile.gettempdir(),
                   REDISCLI_HISTFILE="/dev/null")
        os.execve(cli, [cli, "-%d" % proto, "-h", "127.0.0.1", "-p", str(port)], env)
    shown = {}
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
        prompt = b"127.0.0.1:%d>" % port
        if prompt not in read_until(fd, prompt, 10):
            sys.exit("redis-cli printed no prompt")
        for typed, _ in CASES:
            os.write(fd, typed.encode())
            shown[typed] = read_for(fd, 0.6)
            os.write(fd, b"\x15")  # ^U: clear the line
            read_for(fd, 0.2)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    return shown


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sluice", nargs="?")
    ap.add_argument("--port", type=int, default=7393)
    ap.add_argument("--attach", action="store_true")
    args = ap.parse_args()

    proc, run_dir = None, None
    if not args.attach:
        run_dir = tempfile.mkdtemp(prefix="sluice-cli-hints-")
        proc = subprocess.Popen([args.sluice, "--transport", "kernel", "--port", str(args.port),
                                 "--run-dir", run_dir, "--instance", "cli-hints"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(run_dir, "sluice.log"), "wb"))
    fails = 0
    try:
        if not wait_port(args.port, proc):
            print("not ok - the server answers PING on 127.0.0.1:%d" % args.port)
            return 1
        for proto in (2, 3):
            shown = hints(args.port, proto)
            for typed, want in CASES:
                out = shown[typed]
                good = HINT_START + want.encode() in out
                print("%s - redis-cli -%d: hint after %r is %r"
                      % ("ok" if good else "not ok", proto, typed, want))
                if not good:
                    print("   redis-cli drew: %r" % out)
                    fails += 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
            shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
