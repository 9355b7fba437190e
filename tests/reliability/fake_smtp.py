"""A tiny SMTP server that counts the messages it receives and can hang mid-delivery."""

from __future__ import annotations

import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self) -> None:
        server: FakeSMTP = self.server  # type: ignore[assignment]
        self._say("220 fake ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb == "EHLO":
                self._say("250-fake")
                self._say("250 8BITMIME")
            elif verb == "DATA":
                self._say("354 go ahead")
                body = []
                while True:
                    data = self.rfile.readline()
                    if not data or data in (b".\r\n", b".\n"):
                        break
                    body.append(data)
                with server.lock:
                    server.messages.append(b"".join(body))
                if server.hang.is_set():
                    # The message arrived, the client never hears so: the sender dies here.
                    server.released.wait(60)
                    return
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")


class FakeSMTP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[bytes] = []
        self.lock = threading.Lock()
        self.hang = threading.Event()
        self.released = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self) -> FakeSMTP:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()
