"""A real local web server for the link checks: each path answers one way a site can fail."""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUGE = 200 * 1024 * 1024  # announced size of /gros: never sent whole


class Handler(BaseHTTPRequestHandler):
    server: TestWebServer

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer("HEAD")

    def do_GET(self) -> None:  # noqa: N802
        self._answer("GET")

    def _answer(self, method: str) -> None:
        server = self.server
        path = self.path.split("?")[0]
        with server.lock:
            server.requests.append((method, path, self.headers.get("Host")))
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        self._counted = True
        try:
            self._route(method, path)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self._answered()

    def _answered(self) -> None:
        """The request stops counting as in flight when its answer starts: once the client
        has it, it may send the next one before this thread has finished writing."""
        if self._counted:
            self._counted = False
            with self.server.lock:
                self.server.in_flight -= 1

    def _send(self, status: int, location: str | None = None, body: bytes = b"") -> None:
        self._answered()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    def _route(self, method: str, path: str) -> None:
        server = self.server
        if path == "/ok":
            self._send(200, body=b"ok")
        elif path == "/absent":
            self._send(404, body=b"introuvable")
        elif path == "/lent":
            time.sleep(server.slow_seconds)
            self._send(200, body=b"enfin")
        elif path.startswith("/attente/"):  # answers after a short wait (concurrency, benchmark)
            time.sleep(server.wait_seconds)
            self._send(200, body=b"ok")
        elif path == "/boucle-a":
            self._send(302, location="/boucle-b")
        elif path == "/boucle-b":
            self._send(302, location=f"{server.origin}/boucle-a")
        elif path.startswith("/chaine/"):
            step = int(path.rsplit("/", 1)[1])
            self._send(302, location=f"/chaine/{step + 1}")
        elif path == "/head-refuse":
            self._send(405) if method == "HEAD" else self._send(200, body=b"ok")
        elif path == "/gros":
            if method == "HEAD":
                self._send(405)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(HUGE))
            self.end_headers()
            chunk = b"x" * 65536
            while server.sent < HUGE:
                self.wfile.write(chunk)
                with server.lock:
                    server.sent += len(chunk)
        elif path == "/bascule":
            self._send(server.toggle_status, body=b"?")
        elif path == "/vers-prive":
            self._send(302, location=server.private_target)
        else:
            self._send(404)


class TestWebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        super().__init__((host, 0), Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, str | None]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.sent = 0
        self.slow_seconds = 2.0
        self.wait_seconds = 0.05
        self.toggle_status = 500
        self.private_target = ""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # refused TLS handshakes and clients that hang up are part of the tests

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.server_address[0]}:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def start(self) -> TestWebServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
