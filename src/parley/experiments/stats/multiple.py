# ruff: noqa: RUF002, RUF003 -- Greek letters and × are the reference's math notation.
"""Multiple-comparison adjustments across arms × goal metrics (reference §2.6).

Holm-Bonferroni controls the family-wise error rate (the §4.11 default); Benjamini-Hochberg
controls the false discovery rate. Both only need each p-value to be valid when read, so they
apply unchanged to always-valid p-values. Guardrail metrics stay out of the family (§4.11).
"""

from __future__ import annotations

from collections.abc import Sequence


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in input order: running max of (m - i + 1)·p_(i)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """BH step-up adjusted p-values, in input order: running min of p_(i)·m/i from the top."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    adjusted = [0.0] * m
    running = 1.0
    for pos, i in enumerate(order):
        rank = m - pos  # ascending rank of this p-value
        running = min(running, min(1.0, p_values[i] * m / rank))
        adjusted[i] = running
    return adjusted
