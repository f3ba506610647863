"""A process that loads matplotlib while this one computes, then draws the figures.

Importing matplotlib (about 0.5 s) and drawing are most of the time of a ``forecast`` command
that writes plots, and neither needs the forecast until the drawing starts. So the command
forks early, before it imports SciPy or reads a file: the fork imports matplotlib and the
plotting module while the parent reads the files and runs the analyses, then receives the
figures as plain data (:func:`forecasting.plots.figure_data`, pickled through a pipe, in one
or more batches) and draws each batch as it arrives, in two processes again
(:func:`forecasting.plots.render_figures`), while the parent goes on with its own work.

Whatever goes wrong in the fork, the parent draws the figures itself: a worker never decides
whether the plots get written, only how fast.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

#: Seconds :meth:`PlotWorker.finish` waits for the drawing (about 1 s for the bundled question;
#: the plots show a bounded number of rows, so larger questions take little longer). A worker
#: still busy then is stopped and the figures are drawn in this process.
TIMEOUT = 120.0


def fork_is_safe() -> bool:
    """Whether drawing may fork this process: Linux, several cores, no other Python threads.

    Not on macOS, where system libraries (Accelerate, which numpy may use for BLAS) are not
    safe to use after a fork without exec, nor on Windows, which cannot fork; not in a process
    running threads (a Jupyter kernel), where a fork can copy a held lock.
    """
    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
        return False
    return threading.active_count() == 1


class PlotWorker:
    """A forked process that draws figures sent to it; see the module docstring.

    Use :meth:`start` (``None`` where forking is not possible or not useful), then
    :meth:`send` batches of figures and :meth:`finish`, or :meth:`close` to stop it; as a
    context manager it closes itself.
    """

    def __init__(self, pid: int, pipe: int) -> None:
        self._pid: int | None = pid
        self._pipe: BinaryIO | None = open(pipe, "wb")  # noqa: SIM115 - closed by finish/close
        self._paths: dict[str, Path] = {}
        self._failed = False

    @classmethod
    def start(cls) -> PlotWorker | None:
        """Fork a worker now, or ``None`` where that is not safe (:func:`fork_is_safe`)."""
        if not fork_is_safe():
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
        if pid == 0:  # the worker, leading a process group of its own with its helper
            code = 1
            try:
                os.setpgid(0, 0)
                os.close(write)
                code = _serve(read)
            except BaseException:  # the parent draws whatever is missing
                code = 1
            finally:
                os._exit(code)
        os.close(read)
        try:  # the group exists before the parent may have to stop it
            os.setpgid(pid, pid)
        except OSError:  # the worker has set it already
            pass
        try:  # room for a batch (~0.2 MB for the bundled question): send does not wait
            import fcntl

            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 1 << 20)
        except (ImportError, AttributeError, OSError):  # not Linux, or over the system limit
            pass
        return cls(pid, write)

    def send(self, figures: Sequence[Any], directory: str | Path) -> None:
        """Hand a batch of figures to the worker, which draws them into ``directory``."""
        directory = Path(directory)
        paths = {fd[0]: directory / f"{fd[0]}.png" for fd in figures}
        for path in paths.values():  # a stale file must not pass for a new one
            path.unlink(missing_ok=True)
        self._paths.update(paths)
        if self._pipe is None or self._failed:
            self._failed = True
            return
        try:
            pickle.dump((list(figures), str(directory)), self._pipe, pickle.HIGHEST_PROTOCOL)
            self._pipe.flush()
        except OSError:  # the worker died (BrokenPipeError): the caller draws
            self._failed = True

    def finish(self) -> dict[str, Path] | None:
        """Wait until every batch is drawn.

        Returns plot name to path, or ``None`` if the worker failed or some file is missing
        (then draw them in this process: :func:`forecasting.plots.render_figures`).
        """
        if self._pipe is not None:
            try:
                self._pipe.close()
            except OSError:
                self._failed = True
            self._pipe = None
        if not self._wait(TIMEOUT):
            self.close()  # hung: stop it and its helper
            return None
        code = self._reap()
        if self._failed or code != 0 or not all(p.is_file() for p in self._paths.values()):
            return None
        return dict(self._paths)

    def _wait(self, timeout: float) -> bool:
        """Whether the worker exited within ``timeout`` seconds (it is not reaped)."""
        if self._pid is None:
            return True
        try:
            fd = os.pidfd_open(self._pid)
        except (AttributeError, OSError):  # before Linux 5.3: poll
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if os.waitid(os.P_PID, self._pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                    return True
                time.sleep(0.005)
            return False
        try:
            return bool(select.select([fd], [], [], timeout)[0])
        finally:
            os.close(fd)

    def render(self, figures: Sequence[Any], directory: str | Path) -> dict[str, Path] | None:
        """:meth:`send` one batch and :meth:`finish`."""
        self.send(figures, directory)
        return self.finish()

    def close(self) -> None:
        """Stop the worker unless it has finished (e.g. the input was invalid, or Ctrl-C).

        Before it has been given figures it has written nothing; it is killed rather than
        left to finish importing.
        """
        if self._pid is not None:
            try:
                os.killpg(self._pid, signal.SIGKILL)  # the worker and its drawing helper
            except ProcessLookupError:  # pragma: no cover - already gone
                pass
            self._reap()
        if self._pipe is not None:
            try:
                self._pipe.close()
            except OSError:  # pragma: no cover - a reader killed with unread data
                pass
            self._pipe = None

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
    """The worker: import, then draw each batch of figures as it arrives."""
    from . import plots

    plots._ensure_backend()
    import matplotlib.pyplot  # noqa: F401

    with open(read, "rb") as pipe:
        while True:
            try:
                figures, directory = pickle.load(pipe)
            except EOFError:  # the parent has sent everything
                return 0
            plots.render_figures(figures, directory)
