"""Statistical defaults, pinned in one place.

ArviZ 1.x changed several of its own defaults (interval probability and kind);
every call into ArviZ passes these explicitly instead of relying on its globals.
"""

from __future__ import annotations

#: Probability mass of every reported credible interval (5%-95%).
INTERVAL_PROB: float = 0.90
#: Kind of interval: equal-tailed ("eti"), i.e. the 5% and 95% posterior quantiles.
INTERVAL_KIND: str = "eti"

#: What a report's reliability means when a question does not say (``reliability_model:``):
#: ``tempered`` (``w * log f``) or ``mixture`` (the probability that the report is genuine).
#: Forecasts record the model they used; one made before the field existed used ``tempered``.
RELIABILITY_MODEL: str = "mixture"
RELIABILITY_MODELS: tuple[str, ...] = ("tempered", "mixture")

#: The "none of these" scenario a question may add (``catch_all:``): its id, its default label,
#: and the posterior probability from which it flags the scenario set as possibly incomplete
#: (``update`` exits 3; the report says so). 0.2: four times its usual prior of 0.05, and one
#: chance in five that the named scenarios miss what is happening.
CATCH_ALL: str = "none_of_these"
CATCH_ALL_LABEL: str = "None of these scenarios"
CATCH_ALL_THRESHOLD: float = 0.2

#: The most origins shared events may link into one component under the truth mixture (its
#: likelihood sums over the ``2^m`` states of the origins): checked with the ledger, so that a
#: widely reported event is a located error, never a failure of the engine.
MAX_LINKED_ORIGINS: int = 12

#: The most categories of an indicator whose truth-mixture integral, where its exact
#: polynomial would be too large, is an adaptive cubature (:mod:`forecasting.model.cubature`;
#: each halving of a cell makes ``2^(C-1)`` cells).
MAX_CUBATURE_CATEGORIES: int = 4

#: Default number of i.i.d. joint-posterior draws of the exact engine.
EXACT_DRAWS: int = 4000
#: Default MCMC settings (per chain): 1,500 draws give ESS >= 1000 on every scenario
#: probability of the bundled question (1,000 draws gave 905-1,524 over seeds).
MCMC_DRAWS: int = 1500
MCMC_TUNE: int = 1000
MCMC_CHAINS: int = 2
MCMC_TARGET_ACCEPT: float = 0.9
#: NUTS implementation of the MCMC engine, chosen by measurement (benchmarks/mcmc_backends.py,
#: the table in the README): numpyro through PyMC's JAX bridge, chains in parallel on the CPU
#: cores, compiled programs kept in JAX's persistent cache. On the bundled question a whole
#: run took 22 s with empty caches and 12 s with warm ones, against 138 s and 34 s for PyMC's
#: own NUTS on the C backend. ``pymc-nuts`` (PyMC's own sampler) stays available: forecasts
#: record which one made them, and ``verify`` reruns each with its own.
MCMC_SAMPLER: str = "numpyro-nuts"
MCMC_SAMPLERS: tuple[str, ...] = ("numpyro-nuts", "pymc-nuts")
#: PyTensor backend of ``pymc-nuts``. The C backend gives the same draws for the same seed
#: whether its compile cache is cold or warm; numba (PyTensor's default) differed in the 8th
#: digit between a cold and a warm cache on this project's bundled model.
MCMC_BACKEND: str = "c"
#: Safer settings for the one automatic retry after failed diagnostics.
MCMC_RETRY_TARGET_ACCEPT: float = 0.97
MCMC_RETRY_TUNE: int = 3000

#: Convergence thresholds for every scenario probability.
RHAT_MAX: float = 1.01
ESS_MIN: float = 400.0
#: MCMC and exact point values must agree within this many Monte Carlo standard errors...
AGREEMENT_MCSE: float = 4.0
#: ... or within this absolute difference: a tenth of a percentage point, below what any output
#: shows (a scenario at 4e-7 whose draws sit 14 MCSE from the exact value is no disagreement).
AGREEMENT_FLOOR: float = 0.001

#: Default seed when the caller gives none (runs are reproducible by default).
DEFAULT_SEED: int = 20251027

#: Upper bound on the size of the per-item log-likelihood group (draws x scenarios x items);
#: beyond it the forecast leaves the group out, and its diagnostics say so.
LOG_LIKELIHOOD_MAX_VALUES: int = 20_000_000

#: Scenario probabilities are renormalised to sum to 1 within this tolerance.
PROBABILITY_SUM_TOL: float = 1e-12
#: Scenario priors given in a question must sum to 1 within this tolerance.
PRIOR_SUM_TOL: float = 1e-6

#: Analytic confidence (:mod:`forecasting.confidence`). The horizon of the responsiveness
#: measure (days; ``horizon_days`` in the question, ``--horizon`` on the CLI) ...
HORIZON_DAYS: int = 30
#: ... the probability mass of its range and of the opinion range (5%-95%) ...
CONFIDENCE_RANGE: float = 0.90
#: ... the largest Monte Carlo standard error of a range's bound the simulation accepts
#: (it adds futures until every bound meets it, or :data:`RESPONSIVENESS_MAX_FUTURES`) ...
CONFIDENCE_MCSE: float = 0.005
RESPONSIVENESS_FUTURES: int = 100
RESPONSIVENESS_MAX_FUTURES: int = 64_000
#: ... the shortest span (days) over which an indicator's arrival rate is measured (one report
#: on the as-of date is one report a month, not one a day) ...
ARRIVAL_MIN_SPAN_DAYS: int = 30
#: ... and the draws of reasonable opinion (every judgement redrawn within its band), added
#: until each bound's Monte Carlo standard error is at most :data:`OPINION_MCSE` (or 4 times
#: as many draws). Each draw is an exact posterior under other judgements: on the bundled
#: question 1,000 cost about 0.45 s, so the opinion range settles for a coarser error than
#: the responsiveness range (a judgement's band is itself a rough statement).
OPINION_DRAWS: int = 1000
OPINION_MCSE: float = 0.01
#: ... within a budget of terms summed (scenarios x integration nodes x draws, about a second
#: here): on 76,000 unreliable reports in 38 indicators one draw sums 170,000 terms, and 4,000
#: draws took 46 s. Where fewer than :data:`OPINION_MIN_DRAWS` fit, the range is not computed
#: (exact polynomials of many unreliable categorical reports): the output says so.
OPINION_BUDGET: float = 1e8
OPINION_MIN_DRAWS: int = 200
