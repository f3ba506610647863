"""``forecast serve``: the dashboard served on localhost until Ctrl-C."""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import socket
from pathlib import Path

import panel as pn

from ..core.errors import InputError, Problem
from .layout import app, question_views

#: The port ``forecast serve`` listens on unless told.
DEFAULT_PORT = 5006


def serve(
    models_dir: str | Path,
    *,
    port: int = DEFAULT_PORT,
    as_of: dt.date | None = None,
    show: bool = False,
    address: str = "localhost",
) -> None:
    """Serve the dashboard of ``models_dir`` at ``http://localhost:<port>/`` (blocks).

    The questions are read and forecast once, before the server starts (so a bad directory
    or question fails at once, with exit 2 from the command); each page session gets its own
    widgets over them.

    Raises
    ------
    InputError
        When ``models_dir`` is not a directory of valid question files, or the port is in use.
    """
    views = question_views(models_dir, as_of=as_of)
    for view in views:  # the overview's numbers, before the first page asks for them
        view.summary()
    check_port(address, port)
    asyncio.set_event_loop(asyncio.new_event_loop())  # the server's (none is current here)
    server = pn.serve(
        {"/": lambda: app(models_dir, as_of=as_of, views=views)},
        port=port,
        address=address,
        show=False,
        start=False,
        title="Forecasts",
        websocket_origin=[f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"],
        verbose=False,
    )
    url = f"http://{address}:{port}/"
    print(
        f"Dashboard of {len(views)} question(s) in {models_dir}: {url}  (Ctrl-C stops it)",
        flush=True,
    )
    server.start()
    if show:
        server.io_loop.add_callback(server.show, "/")
    try:
        server.io_loop.start()  # until Ctrl-C (KeyboardInterrupt, which the command catches)
    finally:
        server.stop()


def check_port(address: str, port: int) -> None:
    """Raise :class:`InputError` when ``port`` cannot be listened on (it is in use)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise InputError(
                [
                    Problem(
                        None, None, "--port", f"port {port} is in use; give another with --port N"
                    )
                ]
            ) from None
