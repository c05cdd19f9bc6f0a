"""A real SMTP server on loopback for revgap's tests (aiosmtpd).

Usage: smtp_server.py OUT_DIR
Listens on 127.0.0.1 on a free port, prints "PORT <n>" once ready, and writes each accepted
message to OUT_DIR/<n>.eml. Recipients listed (one per line) in OUT_DIR/fail_once are refused
with a transient 451 the first time they are seen, as a busy relay would. Every session's
greeting is appended to OUT_DIR/sessions.log.

Hostile modes, by files present in OUT_DIR when it starts:
- delay_ms: each message is accepted only after that many milliseconds (a slow relay);
- echo_auth: AUTH is offered without TLS and every login is refused with a reply that echoes
  the user and password back (a relay that leaks what it was sent).
Stops when its standard input closes.
"""

import asyncio
import os
import socket
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Recorder:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0
        self.refused = set()
        self.lock = threading.Lock()

    def fail_once(self):
        path = os.path.join(self.out_dir, "fail_once")
        if not os.path.exists(path):
            return set()
        with open(path) as handle:
            return {line.strip() for line in handle if line.strip()}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if address in self.fail_once() and address not in self.refused:
                self.refused.add(address)
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            with open(os.path.join(self.out_dir, "sessions.log"), "a") as log:
                log.write(f"EHLO {hostname}\n")
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        delay = os.path.join(self.out_dir, "delay_ms")
        if os.path.exists(delay):
            with open(delay) as handle:
                await asyncio.sleep(int(handle.read().strip()) / 1000)
        with self.lock:
            self.count += 1
            name = os.path.join(self.out_dir, f"{self.count:06d}.eml")
        temporary = name + ".tmp"
        with open(temporary, "wb") as handle:
            handle.write(f"X-Envelope-To: {','.join(envelope.rcpt_tos)}\r\n".encode())
            handle.write(envelope.original_content or envelope.content)
        os.rename(temporary, name)
        return "250 Message accepted"


def main():
    out_dir = sys.argv[1]
    # aiosmtpd's controller cannot report an OS-chosen port: take a free one first.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    options = {}
    if os.path.exists(os.path.join(out_dir, "echo_auth")):

        def echo(server, session, envelope, mechanism, auth_data):
            login = auth_data.login.decode(errors="replace")
            password = auth_data.password.decode(errors="replace")
            return AuthResult(
                success=False,
                handled=False,
                message=f"535 5.7.8 {login}:{password} is not a valid login",
            )

        options = {"authenticator": echo, "auth_require_tls": False}
    controller = Controller(Recorder(out_dir), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
