"""The linear relaxation of a CP-SAT model, solved by GLOP: a lower bound on the model's optimum,
and a guide to where the optimum lies.

The flow's bound leaves out the rules a flow cannot express (partners walk together, the
experienced mix); the relaxation keeps every linear rule of the model, only letting each variable
take fractional values, so its optimum is a tighter valid bound. CP-SAT's own linear relaxation
would give it too, but on a region's model its simplex does not finish within the time limit;
GLOP solves the same relaxation in a second or two, in a thread of its own.

Rosters relax well: nearly every variable comes out whole, which is what the solver's dive
builds on.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from ortools.linear_solver.python import model_builder_helper as mb
from ortools.sat.python import cp_model


@dataclass(frozen=True)
class Relaxed:
    bound: int  # the relaxation's optimum rounded up: the objective is integral
    values: list[float]  # each model variable's value at that optimum


class LinearRelaxation:
    """Starts solving at once; `result()` waits for it."""

    def __init__(self, model: cp_model.CpModel, deadline: float):
        # A copy, kept alive (its proto lives inside it): the search goes on adding to the model.
        self._model = model.clone()
        self._deadline = deadline
        self._result: Relaxed | None = None
        self._thread = threading.Thread(target=self._solve, daemon=True)
        self._thread.start()

    def result(self, wait_s: float | None = None) -> Relaxed | None:
        """The relaxation's optimum, or None if it was not solved to optimality within the wait
        (by default, until the deadline): an unfinished simplex proves nothing."""
        if wait_s is None:
            wait_s = max(0.0, self._deadline - time.monotonic()) + 0.5
        self._thread.join(wait_s)
        return self._result

    def _solve(self) -> None:
        proto = self._model.proto
        if proto.objective.scaling_factor not in (0, 1):
            return  # only integral objectives can be rounded up
        lp = mb.ModelBuilderHelper()
        columns = [
            mb.Variable(lp, float(low), float(high), False)
            for low, high in map(_hull, (v.domain for v in proto.variables))
        ]
        for constraint in proto.constraints:
            # Leaving out a constraint only widens the relaxation, so the bound stays valid.
            if constraint.has_linear() and not len(constraint.enforcement_literal):
                linear = constraint.linear
                terms, shift = _terms(list(linear.vars), list(linear.coeffs))
                low, high = _hull(linear.domain)
                row = lp.add_linear_constraint()
                lp.set_constraint_lower_bound(row, -math.inf if low <= -(2**62) else low - shift)
                lp.set_constraint_upper_bound(row, math.inf if high >= 2**62 else high - shift)
                lp.add_terms_to_constraint(row, [columns[i] for i in terms], list(map(float, terms.values())))
        terms, constant = _terms(list(proto.objective.vars), list(proto.objective.coeffs))
        lp.set_objective_coefficients(list(terms), list(map(float, terms.values())))
        solver = mb.ModelSolverHelper("glop")
        solver.set_time_limit_in_seconds(max(0.0, self._deadline - time.monotonic()))
        solver.solve(lp)
        if solver.status() != mb.SolveStatus.OPTIMAL:
            return
        optimum = solver.objective_value() + constant + proto.objective.offset
        # Within the simplex's tolerance, then up to the next whole number.
        bound = math.ceil(optimum - 1e-6 * max(1.0, abs(optimum)))
        self._result = Relaxed(bound, solver.variable_values().tolist())


def _hull(domain) -> tuple[int, int]:
    """A domain with holes relaxes to the interval around it. (The proto's lists take no
    negative index.)"""
    bounds = list(domain)
    return bounds[0], bounds[-1]


def _terms(refs: list[int], coefficients: list[int]) -> tuple[dict[int, int], int]:
    """Coefficient per variable, and the constant that negated literals bring (not x = 1 - x)."""
    merged: dict[int, int] = {}
    constant = 0
    for ref, coefficient in zip(refs, coefficients, strict=True):
        if ref < 0:
            ref, coefficient, constant = -ref - 1, -coefficient, constant + coefficient
        merged[ref] = merged.get(ref, 0) + coefficient
    return merged, constant
