"""A real SMTP server for the tests (aiosmtpd), recording what it receives."""

from __future__ import annotations

import email
import socket
from email import policy
from email.message import Message

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.encrypted: list[bool] = []  # per message: did it arrive over TLS?

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        implicit = server.transport.get_extra_info("ssl_object") is not None
        self.encrypted.append(session.ssl is not None or implicit)
        return "250 OK"


def _reuse_port_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


class _BoundController(Controller):
    """aiosmtpd's threaded controller, serving on a socket the caller bound (and it closes)."""

    def __init__(self, handler: Recorder, sock: socket.socket, **tls: object) -> None:
        host, port = sock.getsockname()[:2]
        # where start() checks it answers; tls: tls_context (STARTTLS) or ssl_context (implicit)
        super().__init__(handler, hostname=host, port=port, **tls)
        self._sock = sock

    def _create_server(self):  # noqa: ANN202
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


class SMTPServer:
    """A local SMTP server on a port it keeps until :meth:`close` (stop it to simulate an outage).

    The port is bound once, at creation, by a socket that never listens: no other
    program can take it, and while the server is stopped a connection is refused
    at once, as when a real mail server is down. Each :meth:`start` serves from a
    listening socket bound to that same port (``SO_REUSEPORT``, which only sockets
    that set it too can share): there is no window between choosing a free port and
    binding it in which another process could take it.
    """

    def __init__(self, **tls: object) -> None:
        self.tls = tls  # aiosmtpd's tls_context (STARTTLS offered) or ssl_context (implicit TLS)
        self._reservation = _reuse_port_socket()
        self._reservation.bind(("127.0.0.1", 0))
        self.port: int = self._reservation.getsockname()[1]
        self.recorder = Recorder()
        self.controller: Controller | None = None

    def start(self) -> None:
        listener = _reuse_port_socket()
        try:
            listener.bind(("127.0.0.1", self.port))
            controller = _BoundController(self.recorder, listener, **self.tls)
            controller.start()
        except BaseException:
            listener.close()
            raise
        self.controller = controller

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def close(self) -> None:
        """Stop serving and give the port back."""
        self.stop()
        self._reservation.close()

    @property
    def messages(self) -> list[Message]:
        return self.recorder.messages
