"""Pure statistics for experiments: every function takes sufficient statistics and returns numbers.

Modules (reference `experiments.md` sections in brackets): `hashing` (§2.10, §3.1), `frequentist`
(§2.2), `sequential` (§2.3), `bayes` (§2.4), `srm` (§2.5), `multiple` (§2.6), `bandit` (§2.7),
`power` (§2.9) and the `analysis` facade that combines them as the recommended design (§4) says.
No module does I/O or touches a database.
"""
