"""Statistical defaults, pinned in one place.

ArviZ 1.x changed several of its own defaults (interval probability and kind);
every call into ArviZ passes these explicitly instead of relying on its globals.
"""

from __future__ import annotations

#: Probability mass of every reported credible interval (5%-95%).
INTERVAL_PROB: float = 0.90
#: Kind of interval: equal-tailed ("eti"), i.e. the 5% and 95% posterior quantiles.
INTERVAL_KIND: str = "eti"

#: Default number of i.i.d. joint-posterior draws of the exact engine.
EXACT_DRAWS: int = 4000
#: Default MCMC settings (per chain).
MCMC_DRAWS: int = 1000
MCMC_TUNE: int = 1000
MCMC_CHAINS: int = 2
MCMC_TARGET_ACCEPT: float = 0.9
#: PyTensor backend of the MCMC engine. The C backend gives the same draws for the same seed
#: whether its compile cache is cold or warm; numba (PyTensor's default) differed in the 8th
#: digit between a cold and a warm cache on this project's bundled model, which breaks
#: "same inputs and seed, identical JSON". C compiles a little slower (measured in benchmarks).
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
