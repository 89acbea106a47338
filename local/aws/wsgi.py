"""A WSGI app served on a background thread (the API emulator and the Lean simulator)."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class BackgroundWsgiApp:
    """Mixin: `serve()` starts a threaded werkzeug server for `self`, `shutdown()` stops it."""

    _server: Any = None

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start serving; returns the bound port (0 picks a free one)."""
        self._server = make_server(host, port, self, threaded=True)
        threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True).start()
        return self._server.server_port

    def shutdown(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
