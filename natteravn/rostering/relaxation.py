"""The linear relaxation of a CP-SAT model, solved by GLOP: a lower bound on the model's optimum.

The flow's bound leaves out the rules a flow cannot express (partners walk together, the
experienced mix); the relaxation keeps every linear rule of the model, only letting each variable
take fractional values, so its optimum is a tighter valid bound. CP-SAT's own linear relaxation
would give it too, but on a region's model its simplex does not finish within the time limit;
GLOP solves the same relaxation in a few seconds, in a thread next to the search.
"""

from __future__ import annotations

import math
import threading
import time

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model


class LinearBound:
    """Starts solving at once; `value()` waits for it until the deadline."""

    def __init__(self, model: cp_model.CpModel, deadline: float):
        # A copy, kept alive (its proto lives inside it): the search goes on adding to the model.
        self._model = model.clone()
        self._deadline = deadline
        self._value: int | None = None
        self._thread = threading.Thread(target=self._solve, daemon=True)
        self._thread.start()

    def value(self) -> int | None:
        """The relaxation's optimum rounded up (the objective is integral), or None if it was
        not solved to optimality in time: an unfinished simplex proves nothing."""
        self._thread.join(max(0.0, self._deadline - time.monotonic()) + 0.5)
        return self._value

    def _solve(self) -> None:
        proto = self._model.proto
        if proto.objective.scaling_factor not in (0, 1):
            return  # only integral objectives can be rounded up
        lp = pywraplp.Solver.CreateSolver("GLOP")
        columns = [lp.NumVar(*_hull(v.domain), "") for v in proto.variables]
        for constraint in proto.constraints:
            # Leaving out a constraint only widens the relaxation, so the bound stays valid.
            if constraint.has_linear() and not len(constraint.enforcement_literal):
                _add_row(lp, columns, constraint.linear)
        objective = lp.Objective()
        constant = proto.objective.offset
        for ref, coefficient in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
            constant += _add_term(objective, columns, ref, coefficient)
        objective.SetMinimization()
        lp.SetTimeLimit(int(max(0.0, self._deadline - time.monotonic()) * 1000))
        if lp.Solve() != pywraplp.Solver.OPTIMAL:
            return
        optimum = objective.Value() + constant
        # Within the simplex's tolerance, then up to the next whole number.
        self._value = math.ceil(optimum - 1e-6 * max(1.0, abs(optimum)))


def _hull(domain) -> tuple[int, int]:
    """A domain with holes relaxes to the interval around it. (The proto's lists take no
    negative index.)"""
    bounds = list(domain)
    return bounds[0], bounds[-1]


def _add_row(lp: pywraplp.Solver, columns, linear) -> None:
    low, high = _hull(linear.domain)
    row = lp.Constraint(-lp.infinity() if low <= -(2**62) else low, lp.infinity() if high >= 2**62 else high)
    shift = sum(
        _add_term(row, columns, ref, coefficient) for ref, coefficient in zip(linear.vars, linear.coeffs, strict=True)
    )
    row.SetBounds(row.lb() - shift, row.ub() - shift)


def _add_term(row, columns, ref: int, coefficient: int) -> int:
    """Add coefficient × literal to the row; returns the constant a negated literal brings."""
    if ref >= 0:
        row.SetCoefficient(columns[ref], row.GetCoefficient(columns[ref]) + coefficient)
        return 0
    column = columns[-ref - 1]  # not(x) = 1 - x
    row.SetCoefficient(column, row.GetCoefficient(column) - coefficient)
    return coefficient
