"""The installed version of this package.

A module of its own, so that ``forecast --version`` and ``forecasting.__version__`` are read
without loading numpy or xarray.
"""

from importlib import metadata


def package_version() -> str:
    """Installed version of this package."""
    try:
        return metadata.version("forecasting")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"
