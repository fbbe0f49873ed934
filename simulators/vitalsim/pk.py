"""Ketamine pharmacokinetics: three-compartment mammillary model plus an effect site.

Why a closed form instead of an ODE solver: the model is linear, so for a constant infusion
rate the state after any interval is exact (``x(tau) = x_ss + V exp(L tau) V^-1 (x0 - x_ss)``).
The answer at a time then never depends on the step size, and the engine can advance tens of
patients over hours at 1 s resolution, or one patient per live tick, with a few array ops.

Units: time in minutes (published rate constants are per minute), doses in mg, rates in
mg/min, volumes in L. The state of a patient is ``[A1_mg, A2_mg, A3_mg, Ce_mg_per_l]``
(amounts in the central, fast and slow compartments, effect-site concentration); reported
concentrations are in ng/mL (mg/L x 1000). The equations::

    dA1/dt = -(k10 + k12 + k13) A1 + k21 A2 + k31 A3 + rate
    dA2/dt = k12 A1 - k21 A2
    dA3/dt = k13 A1 - k31 A3
    dCe/dt = ke0 (A1 / V1 - Ce)

Parameter sets and check values: docs clinical.md, section Pharmacokinetics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

FloatOrArray = float | np.ndarray
"""A float shared by all patients, or a float array of shape (N,), one value per patient."""

RateSegments = Sequence[tuple[float, FloatOrArray]]
"""Piecewise-constant infusion: ``(t_start_min, rate_mg_per_min)``, each rate lasting until
the next start; zero before the first segment. A rate may be an (N,) array (per patient)."""

KE0_OLOFSEN_PER_MIN = 0.11
"""Blood/effect-site equilibration (half-life 6.1 min), Olofsen 2012, Anesthesiology 117:353."""

REFERENCE_WEIGHT_KG = 70.0
CLEARANCE_EXPONENT = 0.75
NG_ML_PER_MG_L = 1000.0

# Relative gap |lambda_i + ke0| / ke0 under which the eigenvector basis is treated as
# defective. Round-off in the eigen form grows like eps / gap, so at 1e-3 it is <= ~1e-12;
# below it the effect-site row is computed with the confluent (divided-difference) formula.
_DEFECTIVE_GAP_REL = 1e-3


@dataclass(frozen=True)
class PKParameters:
    """Micro-constants (per minute) and central volume of one patient or of N patients.

    Each field is a float (shared by every patient) or a float array of shape (N,), one
    value per patient; all arrays share the same N, and floats and arrays may be mixed
    (e.g. per-patient clearances with one ke0). Arrays are copied read-only so a frozen
    instance stays frozen; equality and hashing compare values, arrays included.
    """

    v1_l: FloatOrArray
    k10: FloatOrArray
    k12: FloatOrArray
    k21: FloatOrArray
    k13: FloatOrArray
    k31: FloatOrArray
    ke0: FloatOrArray = KE0_OLOFSEN_PER_MIN

    def __post_init__(self) -> None:
        n: int | None = None
        for f in fields(self):
            value = np.array(getattr(self, f.name), dtype=float)
            if value.ndim > 1 or value.size == 0:
                raise ValueError(
                    f"{f.name} must be a float or a non-empty 1-D array, got shape {value.shape}"
                )
            if value.ndim == 1:
                if n is not None and value.shape[0] != n:
                    raise ValueError(
                        f"{f.name} has {value.shape[0]} patients, other fields have {n}"
                    )
                n = value.shape[0]
            if not np.all(np.isfinite(value) & (value > 0)):
                raise ValueError(f"{f.name} must be finite and > 0, got {value}")
            value.setflags(write=False)
            object.__setattr__(self, f.name, value if value.ndim else float(value))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PKParameters):
            return NotImplemented
        return all(
            np.shape(getattr(self, f.name)) == np.shape(getattr(other, f.name))
            and np.array_equal(getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)
        )

    def __hash__(self) -> int:
        return hash(tuple(np.asarray(getattr(self, f.name)).tobytes() for f in fields(self)))

    @property
    def is_batched(self) -> bool:
        """True if any field is an (N,) array: results then carry a patient axis."""
        return any(np.ndim(getattr(self, f.name)) == 1 for f in fields(self))

    @property
    def n_patients(self) -> int:
        """N of the array fields, 1 if every field is a float."""
        return max((np.size(getattr(self, f.name)) for f in fields(self)), default=1)

    def broadcast(self) -> dict[str, np.ndarray]:
        """Every field as a float array of shape (N,), keyed by field name."""
        n = self.n_patients
        return {f.name: np.broadcast_to(getattr(self, f.name), (n,)) for f in fields(self)}

    def patient(self, index: int) -> PKParameters:
        """Scalar parameters of patient ``index`` (index 0 of an unbatched set is itself)."""
        return PKParameters(**{k: float(v[index]) for k, v in self.broadcast().items()})

    # Physiological parametrisation, used for weight scaling and variability.
    @property
    def v2_l(self) -> FloatOrArray:
        return self.v1_l * self.k12 / self.k21

    @property
    def v3_l(self) -> FloatOrArray:
        return self.v1_l * self.k13 / self.k31

    @property
    def cl_l_per_min(self) -> FloatOrArray:
        return self.k10 * self.v1_l

    @property
    def q2_l_per_min(self) -> FloatOrArray:
        return self.k12 * self.v1_l

    @property
    def q3_l_per_min(self) -> FloatOrArray:
        return self.k13 * self.v1_l

    @classmethod
    def from_volumes_and_clearances(
        cls,
        *,
        v1_l: FloatOrArray,
        v2_l: FloatOrArray,
        v3_l: FloatOrArray,
        cl_l_per_min: FloatOrArray,
        q2_l_per_min: FloatOrArray,
        q3_l_per_min: FloatOrArray,
        ke0: FloatOrArray = KE0_OLOFSEN_PER_MIN,
    ) -> PKParameters:
        """Micro-constants from volumes (L) and clearances (L/min)."""
        return cls(
            v1_l=v1_l,
            k10=np.divide(cl_l_per_min, v1_l),
            k12=np.divide(q2_l_per_min, v1_l),
            k21=np.divide(q2_l_per_min, v2_l),
            k13=np.divide(q3_l_per_min, v1_l),
            k31=np.divide(q3_l_per_min, v3_l),
            ke0=ke0,
        )


def _positive(name: str, value: Any) -> FloatOrArray:
    arr = np.array(value, dtype=float)
    if arr.ndim > 1 or not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(
            f"{name} must be a finite number > 0 (or a 1-D array of them), got {value!r}"
        )
    return arr if arr.ndim else float(arr)


def _scaled_to_weight(typical_70kg: PKParameters, weight_kg: FloatOrArray) -> PKParameters:
    """Allometric scaling: volumes linear in weight, clearances with (W/70)^0.75.

    clinical.md allows linear or 3/4-power clearance scaling (Kamp 2020 scaled linearly);
    the 3/4 power is the usual allometric choice and gives heavy patients less clearance
    per kg, hence slightly higher concentrations at a mg/kg dose. Micro-constants are
    converted to CL/Q/V, scaled, and converted back.
    """
    ratio = np.divide(_positive("weight_kg", weight_kg), REFERENCE_WEIGHT_KG)
    flow = ratio**CLEARANCE_EXPONENT
    p = typical_70kg
    return PKParameters.from_volumes_and_clearances(
        v1_l=p.v1_l * ratio,
        v2_l=p.v2_l * ratio,
        v3_l=p.v3_l * ratio,
        cl_l_per_min=p.cl_l_per_min * flow,
        q2_l_per_min=p.q2_l_per_min * flow,
        q3_l_per_min=p.q3_l_per_min * flow,
        ke0=p.ke0,
    )


def kamp2020(weight_kg: FloatOrArray = 70.0) -> PKParameters:
    """Kamp et al., Anesthesiology 2020;133:1192 (the default): V 25/56/157 L, CL/Q2/Q3
    84/161/79 L/h at 70 kg, scaled to ``weight_kg`` (float or (N,) array)."""
    typical = PKParameters(v1_l=25.0, k10=0.0560, k12=0.1073, k21=0.0479, k13=0.0527, k31=0.0084)
    return _scaled_to_weight(typical, weight_kg)


def domino(weight_kg: FloatOrArray = 70.0) -> PKParameters:
    """Domino et al., Clin Pharmacol Ther 1984 (classic TCI set): V1 0.063 L/kg, scaled to
    ``weight_kg`` (float or (N,) array); at 70 kg V1 = 4.41 L."""
    typical = PKParameters(
        v1_l=0.063 * REFERENCE_WEIGHT_KG, k10=0.4381, k12=0.5921, k21=0.2470, k13=0.5900, k31=0.0146
    )
    return _scaled_to_weight(typical, weight_kg)


# Perez-Ruixo et al., Clin Pharmacokinet 2021;60:501 (Table 3): esketamine after nasal, IV
# and oral doses in 820 people. Their model passes the blood through a liver compartment
# (Qh 151 L/h, Vh 101 L, kel + kmet 3.88 /h); here the liver is folded into a clearance
# from the central compartment, Qh x E with the well-stirred extraction E = CLint / (Qh +
# CLint), CLint = Vh (kel + kmet): 109 L/h (the paper's own summary says 114 L/h).
_ESK_CLINT_L_H = 101.0 * (1.11 + 2.77)
_ESK_CL_L_H = 151.0 * _ESK_CLINT_L_H / (151.0 + _ESK_CLINT_L_H)
ESKETAMINE_NASAL_KA_PER_MIN = 2.93 / 60.0
"""Absorption from the nasal cavity, ka_n 2.93 /h (Perez-Ruixo 2021, Table 3)."""
ESKETAMINE_NASAL_KA_CV = 0.615
"""Its between-subject variability (Perez-Ruixo 2021: 61.5%)."""
ESKETAMINE_BIOAVAILABILITY = 0.48
"""Mean absolute bioavailability of the nasal spray (Spravato label, 12.3)."""
ESKETAMINE_BIOAVAILABILITY_SD_LOGIT = 0.708
"""Its spread, on the logit scale (Perez-Ruixo 2021: 70.8 on the nasal fraction)."""


def esketamine(weight_kg: FloatOrArray = 70.0) -> PKParameters:
    """Esketamine disposition after Perez-Ruixo 2021 (V1/V2/V3 192/143/417 L, Q2/Q3
    84.3/37.6 L/h, CL 109 L/h with the liver folded in; ke0 as for racemic ketamine, est.).

    Not scaled with weight: the paper found no effect of body weight (39-170 kg) on any
    parameter. ``weight_kg`` (float or (N,) array) only sets how many patients."""
    weights = _positive("weight_kg", weight_kg)
    ones = np.ones_like(np.asarray(weights, dtype=float))
    per_min = 1.0 / 60.0
    p = PKParameters.from_volumes_and_clearances(
        v1_l=192.0 * ones, v2_l=143.0 * ones, v3_l=417.0 * ones,
        cl_l_per_min=_ESK_CL_L_H * per_min * ones, q2_l_per_min=84.3 * per_min * ones,
        q3_l_per_min=37.6 * per_min * ones,
    )  # fmt: skip
    return p if p.is_batched else p.patient(0)


PK_MODELS: dict[str, Callable[..., PKParameters]] = {"kamp": kamp2020, "domino": domino}
"""The racemic ketamine models (a scenario's ``pk_model``)."""
ESKETAMINE_MODELS: dict[str, Callable[..., PKParameters]] = {"esketamine": esketamine}
"""The esketamine model: the drug is given as the S-enantiomer alone."""
ALL_PK_MODELS = {**PK_MODELS, **ESKETAMINE_MODELS}


def _model(name: str) -> Callable[..., PKParameters]:
    try:
        return ALL_PK_MODELS[name]
    except KeyError:
        raise ValueError(
            f"unknown PK model {name!r}; choose one of: {', '.join(sorted(PK_MODELS))} "
            f"(ketamine) or {', '.join(sorted(ESKETAMINE_MODELS))} (esketamine)"
        ) from None


def sample_pk_parameters(
    model: str, weight_kg: np.ndarray, rng: np.random.Generator, cv: float = 0.4
) -> PKParameters:
    """One parameter set per weight, with lognormal between-subject variability.

    V1, V2, V3, CL, Q2 and Q3 are each multiplied by ``exp(omega * z)``, z standard normal
    and independent, ``omega = sqrt(log(1 + cv^2))``, so each has median equal to the
    typical value at that weight and coefficient of variation ``cv``. ke0 is unchanged.
    Draw order (stable for seeds): one (6, N) normal array, rows in the order above.
    The result is always batched (fields of shape (N,)).
    """
    if not (np.isfinite(cv) and cv >= 0):
        raise ValueError(f"cv must be a finite number >= 0, got {cv!r}")
    weights = np.atleast_1d(np.asarray(weight_kg, dtype=float))
    if weights.ndim != 1:
        raise ValueError(f"weight_kg must be a 1-D array, got shape {weights.shape}")
    typical = _model(model)(weights)
    factor = np.exp(np.sqrt(np.log1p(cv**2)) * rng.standard_normal((6, weights.size)))
    return PKParameters.from_volumes_and_clearances(
        v1_l=typical.v1_l * factor[0],
        v2_l=typical.v2_l * factor[1],
        v3_l=typical.v3_l * factor[2],
        cl_l_per_min=typical.cl_l_per_min * factor[3],
        q2_l_per_min=typical.q2_l_per_min * factor[4],
        q3_l_per_min=typical.q3_l_per_min * factor[5],
        ke0=typical.ke0,
    )


def _divided_difference_exp(a: np.ndarray, b: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """``(exp(a tau) - exp(b tau)) / (a - b)``, equal to ``tau exp(a tau)`` when a == b,
    without cancellation or overflow (a, b <= 0 broadcast against tau)."""
    top = np.maximum(a, b)
    gap = np.abs(a - b)
    safe_gap = np.where(gap > 0, gap, 1.0)
    scaled = np.where(gap > 0, -np.expm1(-gap * tau) / safe_gap, tau)
    return np.exp(top * tau) * scaled


# Below this spread (times tau) of three rates the second divided difference is taken from
# its Taylor series: the subtraction loses ~2 eps / (spread tau) of its digits (< 1e-11
# here), the series' first neglected term is ~(spread tau)^3 / 500 (< 1e-14).
_DD2_SERIES_BELOW = 1e-4


def _second_divided_difference_exp(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """The second divided difference of ``exp(x tau)`` at x = a, b, c (all <= 0): the
    convolution of exp(a t), exp(b t) and exp(c t) at tau, exact for any coincidences.

    Ordered hi >= mid >= lo it is ``(dd(hi, mid) - dd(mid, lo)) / (hi - lo)``, dividing by
    the widest gap; when all three nearly coincide, ``tau^2/2 exp(m tau) (1 + tau^2 s/2)``
    with m their mean and s their spread's second moment over the simplex
    (Hermite-Genocchi: the sum of squared pairwise gaps over 36).
    """
    a, b, c, tau = np.broadcast_arrays(a, b, c, tau)
    lo, mid, hi = np.sort(np.stack([a, b, c]), axis=0)
    span = hi - lo
    safe_span = np.where(span > 0, span, 1.0)
    split = _divided_difference_exp(hi, mid, tau) - _divided_difference_exp(mid, lo, tau)
    split = split / safe_span
    mean = (lo + mid + hi) / 3.0
    second = ((hi - mid) ** 2 + (hi - lo) ** 2 + (mid - lo) ** 2) / 36.0
    series = 0.5 * tau**2 * np.exp(mean * tau) * (1.0 + 0.5 * tau**2 * second)
    return np.where(span * tau > _DD2_SERIES_BELOW, split, series)


class LinearPK:
    """Exact state transitions of N patients under constant infusion rates.

    The 4x4 system matrix is lower block-triangular: the mammillary 3x3 block, then the
    effect-site row. The mammillary block is similar to a symmetric matrix (mass balance
    between compartments is reversible), so its eigenvalues come from a batched ``eigh``:
    always real, negative and well conditioned. The effect-site eigenvalue is -ke0 and the
    effect-site components of the eigenvectors are closed form. When ke0 is (nearly) a
    mammillary eigenvalue the basis is (nearly) defective; those patients use the exact
    confluent formula (divided differences of exponentials) instead.
    """

    def __init__(self, params: PKParameters) -> None:
        self.params = params
        p = params.broadcast()
        n = self.n_patients = params.n_patients
        v1, ke0 = p["v1_l"], p["ke0"]
        k10, k12, k21, k13, k31 = p["k10"], p["k12"], p["k21"], p["k13"], p["k31"]
        q2, q3 = k12 * v1, k13 * v1
        vol = np.stack([v1, q2 / k21, q3 / k31], axis=-1)  # (N, 3)
        # dA/dt = -K c with c = A / vol and K symmetric; S = vol^-1/2 K vol^-1/2.
        kmat = np.zeros((n, 3, 3))
        kmat[:, 0, 0] = k10 * v1 + q2 + q3
        kmat[:, 0, 1] = kmat[:, 1, 0] = -q2
        kmat[:, 0, 2] = kmat[:, 2, 0] = -q3
        kmat[:, 1, 1], kmat[:, 2, 2] = q2, q3
        root = np.sqrt(vol)
        mu, w = np.linalg.eigh(kmat / root[:, :, None] / root[:, None, :])
        lam = -mu  # (N, 3) mammillary eigenvalues, per min
        evec = root[:, :, None] * w  # columns: eigenvectors of the mammillary block
        evec_inv = np.swapaxes(w, 1, 2) / root[:, None, :]

        gap = lam + ke0[:, None]
        self.defective = np.any(np.abs(gap) <= _DEFECTIVE_GAP_REL * ke0[:, None], axis=1)
        gap = np.where(self.defective[:, None], 1.0, gap)
        ce_row = np.where(self.defective[:, None], 0.0, (ke0 / v1)[:, None] * evec[:, 0, :] / gap)

        self.eigenvalues_per_min = np.concatenate([lam, -ke0[:, None]], axis=1)  # (N, 4)
        self.eigenvectors = np.zeros((n, 4, 4))
        self.eigenvectors[:, :3, :3] = evec
        self.eigenvectors[:, 3, :3] = ce_row
        self.eigenvectors[:, 3, 3] = 1.0
        self.eigenvectors_inv = np.zeros((n, 4, 4))
        self.eigenvectors_inv[:, :3, :3] = evec_inv
        self.eigenvectors_inv[:, 3, :3] = -np.einsum("ni,nij->nj", ce_row, evec_inv)
        self.eigenvectors_inv[:, 3, 3] = 1.0
        # Steady state per unit rate, -A^-1 b in closed form: A1 = u/k10, A2 = A1 k12/k21, ...
        a1 = 1.0 / k10
        self._steady_per_rate = np.stack([a1, a1 * k12 / k21, a1 * k13 / k31, a1 / v1], axis=-1)
        self._v1_l = v1
        self._ke0 = ke0
        self._mammillary = (lam, evec, evec_inv)

    # -- transition matrices -------------------------------------------------------------
    def transitions(self, tau_min: np.ndarray) -> np.ndarray:
        """exp(A tau) for every patient and offset, shape (N, T, 4, 4)."""
        tau = np.asarray(tau_min, dtype=float).reshape(-1)
        phi = (
            self.eigenvectors[:, None]
            * np.exp(self.eigenvalues_per_min[:, None, :] * tau[:, None])[:, :, None, :]
        ) @ self.eigenvectors_inv[:, None]
        if self.defective.any():
            phi[self.defective] = self._confluent_transitions(self.defective, tau)
        phi[:, tau == 0] = np.eye(4)
        return phi

    def _confluent_transitions(self, which: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """exp(A tau) without the effect-site eigenvector, exact even when ke0 equals a
        mammillary eigenvalue: Ce picks up (ke0/V1) sum_i P0i Pinv_ij dd(lambda_i, -ke0)."""
        lam, evec, evec_inv = (m[which] for m in self._mammillary)
        ke0, v1 = self._ke0[which], self._v1_l[which]
        decay = np.exp(lam[:, None, :] * tau[:, None])  # (M, T, 3)
        dd = _divided_difference_exp(lam[:, None, :], -ke0[:, None, None], tau[:, None])
        phi = np.zeros((lam.shape[0], tau.size, 4, 4))
        phi[:, :, :3, :3] = (evec[:, None] * decay[:, :, None, :]) @ evec_inv[:, None]
        phi[:, :, 3, :3] = np.einsum(
            "mi,mti,mij->mtj", (ke0 / v1)[:, None] * evec[:, 0, :], dd, evec_inv
        )
        phi[:, :, 3, 3] = np.exp(-ke0[:, None] * tau)
        return phi

    # -- public API -------------------------------------------------------------------------
    def steady_state(self, rate_mg_per_min: FloatOrArray) -> np.ndarray:
        """State reached under a constant rate held forever, shape (N, 4)."""
        return self._steady_per_rate * np.asarray(rate_mg_per_min, dtype=float)[..., None]

    def evolve(
        self, x0: np.ndarray, rate_mg_per_min: FloatOrArray, tau_min: np.ndarray
    ) -> np.ndarray:
        """States at offsets ``tau_min`` (T,) after ``x0`` (N, 4) under a constant rate
        (float or (N,), mg/min); returns (N, T, 4). Exact for any offsets, 0 included.

        Every call goes through the eigenbasis, without forming a 4x4 matrix per time
        point, and whatever the number of offsets: a stretch of seconds must give the same
        bits whether it is asked for alone or as part of a longer one, since the live and
        batch engines cut time differently (a size-dependent fast path broke that).
        """
        n = self.n_patients
        x0 = np.asarray(x0, dtype=float)
        rate = np.asarray(rate_mg_per_min, dtype=float)
        tau = np.ascontiguousarray(tau_min, dtype=float).reshape(-1)
        if x0.shape != (n, 4):
            raise ValueError(f"x0 must have shape ({n}, 4), got {x0.shape}")
        if rate.shape not in ((), (n,)) or not (rate >= 0).all() or not np.isfinite(rate).all():
            raise ValueError(f"rate_mg_per_min must be finite, >= 0 and a float or shape ({n},)")
        if not (tau >= 0).all() or not np.isfinite(tau).all():
            raise ValueError("tau_min must be finite and >= 0")
        x_ss = self._steady_per_rate * rate[..., None]
        deviation = x0 - x_ss
        # Work in (N, 4, T) so every elementwise pass runs along T (4-long inner loops are
        # several times slower); the product lands directly in a C-contiguous (N, T, 4).
        modes = np.einsum("nij,nj->ni", self.eigenvectors_inv, deviation)
        growth = self.eigenvalues_per_min[:, :, None] * tau
        np.exp(growth, out=growth)
        growth *= modes[:, :, None]
        out = np.empty((n, tau.size, 4))
        np.matmul(self.eigenvectors, growth, out=np.swapaxes(out, 1, 2))
        out += x_ss[:, None, :]
        if self.defective.any():
            phi = self._confluent_transitions(self.defective, tau)
            dev = deviation[self.defective][:, None, :, None]
            out[self.defective] = (phi @ dev)[..., 0] + x_ss[self.defective][:, None, :]
        at_start = tau == 0
        if at_start.any():
            out[:, at_start] = x0[:, None, :]
        return out

    def absorbed(
        self, depot_mg: np.ndarray, ka_per_min: FloatOrArray, tau_min: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """What a first-order depot adds: states (N, T, 4) from a depot holding
        ``depot_mg`` (N,) at tau = 0 and nothing elsewhere, and the depot left, (N, T).

        The depot empties into the central compartment at ``ka`` (per min, float or (N,)):
        input ``ka D0 exp(-ka t)``. The system stays linear, so this adds to
        :meth:`evolve`'s states exactly. In the mammillary eigenbasis each mode takes the
        input through one divided difference of exponentials, and the effect site
        through a second one; both are exact when ka equals an eigenvalue or ke0
        (no defective basis to avoid, unlike the effect-site row of :meth:`evolve`).
        """
        n = self.n_patients
        depot = np.asarray(depot_mg, dtype=float)
        ka = np.broadcast_to(np.asarray(ka_per_min, dtype=float), (n,))
        tau = np.ascontiguousarray(tau_min, dtype=float).reshape(-1)
        if depot.shape != (n,) or not np.all(np.isfinite(depot) & (depot >= 0)):
            raise ValueError(f"depot_mg must be finite, >= 0 and of shape ({n},)")
        if not np.all(np.isfinite(ka) & (ka > 0)):
            raise ValueError("ka_per_min must be finite and > 0")
        if not (tau >= 0).all() or not np.isfinite(tau).all():
            raise ValueError("tau_min must be finite and >= 0")
        lam, evec, evec_inv = self._mammillary
        gain = (ka * depot)[:, None, None]  # (N, 1, 1)
        weights = evec * evec_inv[:, :, 0][:, None, :]  # (N, 3 rows, 3 modes)
        t = tau[None, :, None]
        dd1 = _divided_difference_exp(lam[:, None, :], -ka[:, None, None], t)  # (N, T, 3)
        out = np.empty((n, tau.size, 4))
        out[:, :, :3] = gain * np.einsum("nji,nti->ntj", weights, dd1)
        dd2 = _second_divided_difference_exp(
            lam[:, None, :], -ka[:, None, None], -self._ke0[:, None, None], t
        )
        ce_gain = (self._ke0 / self._v1_l)[:, None] * gain[:, :, 0]
        out[:, :, 3] = ce_gain * np.einsum("ni,nti->nt", weights[:, 0, :], dd2)
        left = depot[:, None] * np.exp(-ka[:, None] * tau[None, :])
        return out, left

    def cp_ng_ml(self, x: np.ndarray) -> np.ndarray:
        """Plasma concentration from states (..., 4); with N > 1 the first axis is patients."""
        x = np.asarray(x, dtype=float)
        return x[..., 0] / self._v1_per_state(x) * NG_ML_PER_MG_L

    def ce_ng_ml(self, x: np.ndarray) -> np.ndarray:
        """Effect-site concentration from states (..., 4)."""
        return np.asarray(x, dtype=float)[..., 3] * NG_ML_PER_MG_L

    def _v1_per_state(self, x: np.ndarray) -> FloatOrArray:
        if self.n_patients == 1:
            return float(self._v1_l[0])
        if x.ndim < 2 or x.shape[0] != self.n_patients:
            raise ValueError(
                f"states of {self.n_patients} patients need shape "
                f"({self.n_patients}, ..., 4), got {x.shape}"
            )
        return self._v1_l.reshape((-1,) + (1,) * (x.ndim - 2))


def _validated_segments(rate_segments: RateSegments, n: int) -> list[tuple[float, np.ndarray]]:
    segments: list[tuple[float, np.ndarray]] = []
    previous = 0.0
    for i, segment in enumerate(rate_segments):
        try:
            start, rate = segment
        except (TypeError, ValueError):
            raise ValueError(
                f"rate_segments[{i}] must be a (t_start_min, rate_mg_per_min) pair, got {segment!r}"
            ) from None
        start = float(start)
        rate = np.asarray(rate, dtype=float)
        if not np.isfinite(start) or start < previous:
            raise ValueError(
                f"rate_segments[{i}]: start {start} min must be finite, >= 0 and not before "
                f"the previous start ({previous} min)"
            )
        if rate.shape not in ((), (n,)) or not np.all(np.isfinite(rate) & (rate >= 0)):
            raise ValueError(
                f"rate_segments[{i}]: rate must be finite, >= 0 mg/min and a float or "
                f"shape ({n},), got {rate!r}"
            )
        segments.append((start, np.broadcast_to(rate, (n,))))
        previous = start
    return segments


def concentrations(
    params: PKParameters, rate_segments: RateSegments, times_min: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(cp_ng_ml, ce_ng_ml) at ``times_min`` (sorted, >= 0) from zero amounts at t = 0.

    Steps from breakpoint to breakpoint and evaluates each time from the state at the
    breakpoint before it, so a value never depends on which other times were requested.
    Shapes: (T,) for unbatched ``params``, (N, T) for batched ones.
    """
    pk = LinearPK(params)
    n = pk.n_patients
    times = np.asarray(times_min, dtype=float).reshape(-1)
    if (
        not np.all(np.isfinite(times))
        or (times.size and times[0] < 0)
        or np.any(np.diff(times) < 0)
    ):
        raise ValueError("times_min must be finite, >= 0 and sorted ascending")
    segments = [(0.0, np.zeros(n)), *_validated_segments(rate_segments, n)]
    states = np.empty((n, times.size, 4))
    x = np.zeros((n, 4))
    for k, (start, rate) in enumerate(segments):
        end = segments[k + 1][0] if k + 1 < len(segments) else np.inf
        lo, hi = np.searchsorted(times, [start, end], side="left")
        if hi > lo:
            states[:, lo:hi] = pk.evolve(x, rate, times[lo:hi] - start)
        if hi == times.size:
            break
        x = pk.evolve(x, rate, np.array([end - start]))[:, 0]
    cp, ce = pk.cp_ng_ml(states), pk.ce_ng_ml(states)
    return (cp, ce) if params.is_batched else (cp[0], ce[0])


def regimen_segments(
    weight_kg: FloatOrArray,
    *,
    dose_mg_per_kg: float | None = None,
    over_min: float | None = None,
    rate_mg_per_kg_h: float | None = None,
    for_min: float | None = None,
    start_min: float = 0.0,
) -> list[tuple[float, FloatOrArray]]:
    """Rate segments for "``dose_mg_per_kg`` over ``over_min``" or "``rate_mg_per_kg_h``
    for ``for_min``" (exactly one form), starting at ``start_min`` and stopping after."""
    dose_form = {"dose_mg_per_kg": dose_mg_per_kg, "over_min": over_min}
    rate_form = {"rate_mg_per_kg_h": rate_mg_per_kg_h, "for_min": for_min}
    given_dose = [k for k, v in dose_form.items() if v is not None]
    given_rate = [k for k, v in rate_form.items() if v is not None]
    if given_dose and given_rate:
        raise ValueError(
            "give either dose_mg_per_kg with over_min or rate_mg_per_kg_h with for_min, "
            f"not both (got {', '.join(given_dose + given_rate)})"
        )
    if not given_dose and not given_rate:
        raise ValueError(
            "no regimen: give dose_mg_per_kg with over_min, or rate_mg_per_kg_h with for_min"
        )
    form = dose_form if given_dose else rate_form
    missing = [k for k, v in form.items() if v is None]
    if missing:
        raise ValueError(
            f"{', '.join(k for k, v in form.items() if v is not None)} also needs {missing[0]}"
        )
    for name, value in (*form.items(), ("start_min", start_min)):
        strict = name in ("over_min", "for_min")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = np.nan
        if not np.isfinite(number) or number < 0 or (strict and number == 0):
            raise ValueError(
                f"{name} must be a finite number {'> 0' if strict else '>= 0'}, got {value!r}"
            )
    weight = _positive("weight_kg", weight_kg)
    if given_dose:
        duration = float(over_min)  # type: ignore[arg-type]
        rate = np.multiply(dose_mg_per_kg, weight) / duration
    else:
        duration = float(for_min)  # type: ignore[arg-type]
        rate = np.multiply(rate_mg_per_kg_h, weight) / 60.0
    rate = rate if np.ndim(rate) else float(rate)
    return [(float(start_min), rate), (float(start_min) + duration, 0.0)]


_REGIMEN_KEYS = frozenset(
    {"dose_mg_per_kg", "over_min", "rate_mg_per_kg_h", "for_min", "start_min"}
)


def concentration_table(
    model: str, weight_kg: float, times_min: Sequence[float], **regimen: float
) -> pd.DataFrame:
    """Columns ``t_min, cp_ng_ml, ce_ng_ml`` for a typical patient of ``model`` (typical
    parameters at ``weight_kg``) under a regimen given as to :func:`regimen_segments`."""
    if np.ndim(weight_kg) != 0:
        raise ValueError(f"weight_kg must be a single number, got {weight_kg!r}")
    unknown = sorted(set(regimen) - _REGIMEN_KEYS)
    if unknown:
        raise ValueError(
            f"unknown regimen argument(s) {', '.join(unknown)}; "
            f"expected some of: {', '.join(sorted(_REGIMEN_KEYS))}"
        )
    params = _model(model)(weight_kg)
    cp, ce = concentrations(params, regimen_segments(weight_kg, **regimen), times_min)
    times = np.asarray(times_min, dtype=float).reshape(-1)
    return pd.DataFrame({"t_min": times, "cp_ng_ml": cp, "ce_ng_ml": ce})
