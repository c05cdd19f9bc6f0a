"""A real SMTP server on loopback for revgap's tests (aiosmtpd).

Usage: smtp_server.py OUT_DIR
Listens on 127.0.0.1 on a free port, prints "PORT <n>" once ready, and writes each accepted
message to OUT_DIR/<n>.eml. Recipients listed (one per line) in OUT_DIR/fail_once are refused
with a transient 451 the first time they are seen, as a busy relay would.
Stops when its standard input closes.
"""

import os
import socket
import sys
import threading

from aiosmtpd.controller import Controller


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

    async def handle_DATA(self, server, session, envelope):
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
    controller = Controller(Recorder(out_dir), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
