"""Inference engines: ``exact`` (closed form, numpy only) and ``mcmc`` (PyMC, imported lazily)."""
