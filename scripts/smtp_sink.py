#!/usr/bin/python3
"""Local SMTP sink for the demo: `make run` starts it when SMTP_URL is not set.

Accepts every message on 127.0.0.1 and writes it as one .eml file (mode 0600)
in --dir, so a new user sees the residents' mails without configuring a
relay.  Demo only: the files hold addresses in clear.  Prints nothing; writes
the port it listens on to --port-file.  Stops on SIGTERM.
"""
import argparse
import os
import signal
import socket
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            name = "%s-%04d.eml" % (time.strftime("%Y%m%d-%H%M%S"), self.count)
        fd = os.open(os.path.join(self.directory, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    port = free_port()
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=port)
    controller.start()
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
