"""A process that loads matplotlib while this one computes, then draws the figures.

Importing matplotlib (about 0.6 s) and drawing are most of the time of a ``forecast`` command
that writes plots, and neither needs the forecast until the drawing starts. So the command
forks before it imports numpy, xarray or SciPy: the fork imports matplotlib and the plotting
module while the parent reads the files and runs the analyses, then receives the figures as
plain data (:func:`forecasting.plots.figure_data`, pickled through a pipe) and draws them, in
two processes again (:func:`forecasting.plots.render_figures`).

Whatever goes wrong in the fork, the parent draws the figures itself: a worker never decides
whether the plots get written, only how fast.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class PlotWorker:
    """A forked process waiting for figures to draw; see the module docstring.

    Use :meth:`start` (``None`` where forking is not possible or not useful), then either
    :meth:`render` once or :meth:`close`; as a context manager it closes itself.
    """

    def __init__(self, pid: int, pipe: int) -> None:
        self._pid: int | None = pid
        self._pipe: int | None = pipe

    @classmethod
    def start(cls) -> PlotWorker | None:
        """Fork a worker now, or ``None`` (no fork on Windows, on one core, or with threads)."""
        if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
            return None
        if threading.active_count() > 1:  # e.g. a Jupyter kernel: never fork threaded code
            return None
        # both processes need xarray (and numpy): load it once, before the fork
        import xarray  # noqa: F401

        read, write = os.pipe()
        with warnings.catch_warnings():
            # the only other threads are the idle worker pools of the BLAS libraries, which
            # survive a fork (no Python threads: checked above)
            warnings.filterwarnings(
                "ignore", "This process .* is multi-threaded", DeprecationWarning
            )
            pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                os.close(write)
                code = _serve(read)
            except BaseException:  # the parent draws whatever is missing
                code = 1
            finally:
                os._exit(code)
        os.close(read)
        return cls(pid, write)

    def render(self, figures: Sequence[Any], directory: str | Path) -> dict[str, Path] | None:
        """Hand the figures to the worker and wait until it has drawn them.

        Returns plot name to path, or ``None`` if the worker failed or some file is missing
        (then draw them in this process: :func:`forecasting.plots.render_figures`).
        """
        if self._pipe is None:
            return None
        directory = Path(directory)
        paths = {fd[0]: directory / f"{fd[0]}.png" for fd in figures}
        for path in paths.values():  # a stale file must not pass for a new one
            path.unlink(missing_ok=True)
        payload = pickle.dumps((list(figures), str(directory)), protocol=pickle.HIGHEST_PROTOCOL)
        pipe, self._pipe = self._pipe, None
        try:
            with open(pipe, "wb") as out:
                out.write(payload)
        except OSError:  # the worker died early (BrokenPipeError): draw here
            self._reap()
            return None
        if self._reap() != 0 or not all(p.is_file() for p in paths.values()):
            return None
        return paths

    def close(self) -> None:
        """Stop the worker unless it has finished (e.g. the input was invalid, or Ctrl-C).

        Before it has been given figures it has written nothing; it is killed rather than
        left to finish importing.
        """
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - already gone
                pass
            self._reap()

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        if pid is None:
            return 1
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # pragma: no cover - reaped elsewhere
            return 1
        return os.waitstatus_to_exitcode(status)

    def __enter__(self) -> PlotWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(read: int) -> int:
    """The worker: import, wait for the figures, draw them."""
    from . import plots

    plots._ensure_backend()
    import matplotlib.pyplot  # noqa: F401

    with open(read, "rb") as pipe:
        payload = pipe.read()
    if not payload:  # closed without figures
        return 0
    figures, directory = pickle.loads(payload)
    plots.render_figures(figures, directory)
    return 0
