"""Matching reviewers to cases: TF-IDF cosine scores and an optimal assignment.

The assignment is a transportation problem: x[r, c] = 1 when reviewer r reviews
case c, for every pair without a conflict;

    maximise   sum score[r, c] * x[r, c]
    subject to sum_r x[r, c] = k_c          (exactly k distinct reviewers per case)
               lo_r <= sum_c x[r, c] <= hi_r (caps, and loads within one of each other)
               0 <= x[r, c] <= 1

Its constraint matrix is the incidence matrix of a bipartite graph, totally
unimodular, so the linear programme has an integral optimal vertex; HiGHS's simplex
(`scipy.optimize.linprog`) finds it exactly. The load bounds come from filling the
reviewers evenly up to their caps; when conflicts make even loads impossible
they are relaxed step by step (then only the caps hold).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

WORD = re.compile(r"[a-z][a-z0-9]+")
STOP_WORDS = frozenset("""
a about above after all also an and any are as at be been but by can could data do does for from had has have how
in into is it its may more most new not of on or other our out over per such than that the their them then there
these they this those through to under up use used using was we were what when which while who will with within
would you your case cases study studies
""".split())


def tokens(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if w not in STOP_WORDS]


def tfidf_matrix(documents: list[str]) -> sparse.csr_matrix:
    """Rows are documents: sublinear term frequency times smoothed IDF, each row of unit length."""
    vocabulary: dict[str, int] = {}
    rows, cols, values = [], [], []
    for row, text in enumerate(documents):
        counts: dict[int, int] = {}
        for word in tokens(text):
            column = vocabulary.setdefault(word, len(vocabulary))
            counts[column] = counts.get(column, 0) + 1
        for column, count in counts.items():
            rows.append(row)
            cols.append(column)
            values.append(1.0 + math.log(count))
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(documents), max(len(vocabulary), 1)))
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = np.log((1 + len(documents)) / (1 + df)) + 1.0
    matrix = matrix @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def similarity(reviewer_texts: list[str], case_texts: list[str]) -> np.ndarray:
    """Cosine similarity (0..1) of every reviewer text with every case text, reviewers as rows.

    IDF is computed over reviewers and cases together, so a word common to every case weighs little.
    """
    matrix = tfidf_matrix(reviewer_texts + case_texts)
    reviewers, cases = matrix[: len(reviewer_texts)], matrix[len(reviewer_texts):]
    return np.asarray((reviewers @ cases.T).todense()) if reviewer_texts and case_texts else np.zeros(
        (len(reviewer_texts), len(case_texts)))


@dataclass
class Problem:
    """Reviewers 0..R-1 and cases 0..C-1 (positions; ids are the caller's business)."""

    scores: np.ndarray  # R x C
    caps: list[int]  # the most each reviewer may still take
    needs: list[int]  # how many more reviewers each case needs (k minus those it has)
    forbidden: set[tuple[int, int]] = field(default_factory=set)  # (reviewer, case) positions

    @property
    def n_reviewers(self) -> int:
        return len(self.caps)

    @property
    def n_cases(self) -> int:
        return len(self.needs)


class Infeasible(Exception):
    """No assignment gives every case its k reviewers within caps and without conflicts."""


def even_load_bounds(caps: list[int], total: int) -> tuple[list[int], list[int]]:
    """Loads as even as the caps allow: (lower, upper) bounds per reviewer, within one of each other.

    Water-filling: the level L is the smallest such that sum(min(cap, L)) >= total; reviewers
    capped below L take their cap; the others take L or L - 1.
    """
    if not caps:
        return [], []
    if sum(caps) < total:
        raise Infeasible(f"The reviewers can take {sum(caps)} cases in all; {total} places need filling.")
    level = 0
    while sum(min(c, level) for c in caps) < total:
        level += 1
    lower = [min(c, max(level - 1, 0)) for c in caps]
    upper = [min(c, level) for c in caps]
    return lower, upper


def _allowed(problem: Problem) -> np.ndarray:
    """R x C booleans: the pairs that may be assigned at all."""
    allowed = np.ones((problem.n_reviewers, problem.n_cases), dtype=bool)
    for r, c in problem.forbidden:
        allowed[r, c] = False
    allowed[np.array(problem.caps) <= 0, :] = False
    allowed[:, np.array(problem.needs) <= 0] = False
    return allowed


def _solve_lp(problem: Problem, rows: np.ndarray, cols: np.ndarray, lower, upper):
    """The LP over the pairs (rows[i], cols[i]); returns (x, case duals, reviewer duals) or None if infeasible."""
    n = len(rows)
    index = np.arange(n)
    per_case = sparse.csr_matrix((np.ones(n), (cols, index)), shape=(problem.n_cases, n))
    per_reviewer = sparse.csr_matrix((np.ones(n), (rows, index)), shape=(problem.n_reviewers, n))
    needs = np.array(problem.needs, dtype=float)
    cost = -problem.scores[rows, cols]
    # The LP's optimal vertex is integral (total unimodularity); the simplex returns a vertex.
    result = linprog(cost, A_ub=sparse.vstack([per_reviewer, -per_reviewer]).tocsr(),
                     b_ub=np.r_[np.array(upper, float), -np.array(lower, float)],
                     A_eq=per_case, b_eq=needs, bounds=(0, 1), method="highs")
    if result.status != 0 or result.x is None:
        return None
    x = result.x
    if np.any((x > 1e-6) & (x < 1 - 1e-6)):  # never expected; solve as an integer programme
        exact = milp(cost, constraints=[LinearConstraint(per_case, needs, needs),
                                        LinearConstraint(per_reviewer, np.array(lower, float),
                                                         np.array(upper, float))],
                     integrality=np.ones(n), bounds=Bounds(0, 1), options={"mip_rel_gap": 0})
        if exact.status != 0 or exact.x is None:
            return None
        return exact.x, None, None
    duals_reviewer = result.ineqlin.marginals[: problem.n_reviewers] - result.ineqlin.marginals[problem.n_reviewers:]
    return x, result.eqlin.marginals, duals_reviewer


CANDIDATES_PER_CASE = 12


def _solve(problem: Problem, lower: list[int], upper: list[int]) -> Optional[list[tuple[int, int]]]:
    """Exact LP optimum by column generation: start from each case's best candidates, add every left-out
    pair whose reduced cost shows it could improve the total, until none can (then the optimum of the
    restricted problem is the optimum of the whole). Infeasible restricted problems fall back to all pairs."""
    allowed = _allowed(problem)
    if not allowed.any():
        return [] if sum(problem.needs) == 0 else None
    masked = np.where(allowed, problem.scores, -np.inf)
    keep = min(problem.n_reviewers, CANDIDATES_PER_CASE)
    top = np.argsort(-masked, axis=0, kind="stable")[:keep]
    active = np.zeros_like(allowed)
    active[top, np.arange(problem.n_cases)[None, :]] = True
    active &= allowed
    while True:
        rows, cols = np.nonzero(active)
        solved = _solve_lp(problem, rows, cols, lower, upper)
        if solved is None:
            if active.sum() == allowed.sum():
                return None
            active = allowed.copy()
            continue
        x, duals_case, duals_reviewer = solved
        if duals_case is None or active.sum() == allowed.sum():
            break
        # Reduced cost of a left-out pair (cost -score): negative means it would improve the total.
        reduced = -problem.scores - duals_case[None, :] - duals_reviewer[:, None]
        improving = allowed & ~active & (reduced < -1e-9)
        if not improving.any():
            break
        active |= improving
    chosen = np.flatnonzero(x > 0.5)
    return [(int(rows[i]), int(cols[i])) for i in chosen]


def optimal_assignment(problem: Problem, report: Callable[[float, str], None] = lambda p, m: None
                       ) -> list[tuple[int, int]]:
    """(reviewer, case) positions of the assignment with the highest total score (see module docstring)."""
    total = sum(problem.needs)
    if total == 0:
        return []
    lower, upper = even_load_bounds(problem.caps, total)
    attempts = [(lower, upper, "loads within one of each other"),
                ([0] * len(lower), upper, "loads at most the even share"),
                ([0] * len(lower), [min(c, u + 1) for c, u in zip(problem.caps, upper)], "loads near the even share"),
                ([0] * len(lower), list(problem.caps), "loads within the caps")]
    for step, (lo, hi, label) in enumerate(attempts):
        report(20 + 20 * step, f"Solving with {label}")
        found = _solve(problem, lo, hi)
        if found is not None:
            return found
    raise Infeasible("No assignment gives every case its reviewers: too many conflicts or too little capacity. "
                     "Add reviewers, raise the maximum load or assign some cases by hand.")


def greedy_assignment(problem: Problem) -> list[tuple[int, int]]:
    """The obvious baseline: each case in turn takes its best-matching reviewers with room left."""
    _, upper = even_load_bounds(problem.caps, sum(problem.needs))
    room = list(upper)
    chosen = []
    for c in range(problem.n_cases):
        order = np.argsort(-problem.scores[:, c], kind="stable")
        taken = 0
        for r in order:
            if taken == problem.needs[c]:
                break
            if room[r] > 0 and (r, c) not in problem.forbidden:
                chosen.append((int(r), c))
                room[r] -= 1
                taken += 1
    return chosen


def total_score(problem: Problem, pairs: Iterable[tuple[int, int]]) -> float:
    return float(sum(problem.scores[r, c] for r, c in pairs))
