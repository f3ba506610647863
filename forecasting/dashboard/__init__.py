"""The dashboard: every question of a models directory, its ledger, drivers and what-ifs.

:func:`app` returns the Panel layout (for JupyterLab, or any Panel server); ``forecast serve``
serves it (:func:`serve`). Only reads: the archive and the ledgers are never written.

Modules: ``data`` (what is shown, as DataFrames: tested without a browser), ``whatif`` (the
what-if edits and their exact recompute), ``views`` (the panes of one question), ``controls``
(the what-if controls), ``layout`` (the page), ``server`` (``forecast serve``).
"""

from .layout import app
from .server import serve

__all__ = ["app", "serve"]
