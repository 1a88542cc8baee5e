"""The assignment optimiser against brute force, and the TF-IDF scores."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from gmgportal.cases import matching


def brute_force(problem: matching.Problem) -> float | None:
    """The best total over every assignment meeting the same rules (the same load bounds, relaxed in the
    same order), or None when none exists."""
    total = sum(problem.needs)
    lower, upper = matching.even_load_bounds(problem.caps, total)
    bounds = [(lower, upper), ([0] * len(lower), upper),
              ([0] * len(lower), [min(c, u + 1) for c, u in zip(problem.caps, upper)]),
              ([0] * len(lower), list(problem.caps))]
    options = []
    for c in range(problem.n_cases):
        allowed = [r for r in range(problem.n_reviewers) if (r, c) not in problem.forbidden]
        options.append(list(itertools.combinations(allowed, problem.needs[c])))
    for lo, hi in bounds:
        best = None
        for choice in itertools.product(*options):
            loads = [0] * problem.n_reviewers
            for reviewers in choice:
                for r in reviewers:
                    loads[r] += 1
            if all(lo[r] <= loads[r] <= hi[r] for r in range(problem.n_reviewers)):
                value = sum(problem.scores[r, c] for c, reviewers in enumerate(choice) for r in reviewers)
                best = value if best is None else max(best, value)
        if best is not None:
            return best
    return None


def check(pairs, problem):
    for c in range(problem.n_cases):
        chosen = [r for r, cc in pairs if cc == c]
        assert len(chosen) == len(set(chosen)) == problem.needs[c]
    loads = [sum(1 for r, _ in pairs if r == x) for x in range(problem.n_reviewers)]
    assert all(load <= cap for load, cap in zip(loads, problem.caps))
    assert not set(pairs) & problem.forbidden
    return loads


@pytest.mark.parametrize("seed", range(12))
def test_optimal_assignment_equals_brute_force_on_small_instances(seed):
    rng = np.random.default_rng(seed)
    n_reviewers, n_cases = int(rng.integers(3, 6)), int(rng.integers(2, 5))
    k = int(rng.integers(1, 3))
    scores = np.round(rng.random((n_reviewers, n_cases)), 3)
    forbidden = {(int(r), int(c)) for r, c in zip(rng.integers(0, n_reviewers, 3), rng.integers(0, n_cases, 3))}
    caps = [int(x) for x in rng.integers(1, n_cases + 1, n_reviewers)]
    problem = matching.Problem(scores, caps, [k] * n_cases, forbidden)
    expected = None
    try:
        expected = brute_force(problem)
    except matching.Infeasible:
        pass
    if expected is None:
        with pytest.raises(matching.Infeasible):
            matching.optimal_assignment(problem)
        return
    pairs = matching.optimal_assignment(problem)
    check(pairs, problem)
    assert matching.total_score(problem, pairs) == pytest.approx(expected, abs=1e-9)


def test_loads_are_within_one_of_each_other_when_caps_allow():
    rng = np.random.default_rng(7)
    problem = matching.Problem(rng.random((7, 20)), [20] * 7, [3] * 20, set())
    loads = check(matching.optimal_assignment(problem), problem)
    assert max(loads) - min(loads) <= 1
    # A low cap is respected and the others share the rest evenly.
    problem = matching.Problem(rng.random((7, 20)), [2] + [20] * 6, [3] * 20, set())
    loads = check(matching.optimal_assignment(problem), problem)
    assert loads[0] <= 2 and max(loads[1:]) - min(loads[1:]) <= 1


def test_optimum_beats_or_equals_greedy():
    rng = np.random.default_rng(3)
    problem = matching.Problem(rng.random((10, 40)), [15] * 10, [3] * 40, set())
    optimal, greedy = matching.optimal_assignment(problem), matching.greedy_assignment(problem)
    assert matching.total_score(problem, optimal) >= matching.total_score(problem, greedy) - 1e-9


def test_infeasible_when_a_case_has_too_few_allowed_reviewers():
    problem = matching.Problem(np.ones((3, 1)), [5, 5, 5], [3], {(0, 0)})
    with pytest.raises(matching.Infeasible):
        matching.optimal_assignment(problem)


def test_tfidf_scores_match_expertise_to_cases():
    scores = matching.similarity(
        ["mobile phone records, call detail records", "household surveys, census enumeration"],
        ["Call detail records from mobile phone operators in Senegal", "A census round with household surveys"])
    assert scores.shape == (2, 2)
    assert scores[0, 0] > scores[0, 1] and scores[1, 1] > scores[1, 0]
    assert np.all((scores >= 0) & (scores <= 1 + 1e-9))
    assert matching.similarity([""], ["anything"])[0, 0] == 0


def test_column_generation_reaches_the_full_optimum(monkeypatch):
    rng = np.random.default_rng(11)
    problem = matching.Problem(np.round(rng.random((15, 60)), 2), [15] * 15, [3] * 60,
                               {(int(r), int(c)) for r, c in zip(rng.integers(0, 15, 40), rng.integers(0, 60, 40))})
    monkeypatch.setattr(matching, "CANDIDATES_PER_CASE", 100)
    full = matching.total_score(problem, matching.optimal_assignment(problem))
    monkeypatch.setattr(matching, "CANDIDATES_PER_CASE", 1)
    pairs = matching.optimal_assignment(problem)
    check(pairs, problem)
    assert matching.total_score(problem, pairs) == pytest.approx(full, abs=1e-9)
