"""Comparing what Parley sent with what a provider holds, on the fields Parley manages.

Providers answer with far more than they were sent (defaults, ids, timestamps), so the live
agent is first projected onto the shape of the payload Parley wrote. What remains different is
drift (someone changed it in the provider's dashboard) or, right after a write, a field the
provider did not keep.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

MISSING = object()


def project(live: Any, shape: Any) -> Any:
    """`live` cut down to the keys present in `shape` (recursively); lists keep their order."""
    if isinstance(shape, dict) and isinstance(live, dict):
        return {key: project(live.get(key, MISSING), value) for key, value in shape.items()}
    if isinstance(shape, list) and isinstance(live, list) and len(shape) == len(live):
        return [project(item, template) for item, template in zip(live, shape, strict=True)]
    return live


def differences(sent: Any, held: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(path, sent value, held value) for each leaf where the provider holds something else.

    Numbers compare with a tolerance (providers store floats); a key the provider does not
    return at all counts as not kept, unless Parley sent null for it.
    """
    if isinstance(sent, dict) and isinstance(held, dict):
        out: list[tuple[str, Any, Any]] = []
        for key, value in sent.items():
            child = f"{path}.{key}" if path else str(key)
            out.extend(differences(value, held.get(key, MISSING), child))
        return out
    if isinstance(sent, list) and isinstance(held, list) and len(sent) == len(held):
        out = []
        for index, (a, b) in enumerate(zip(sent, held, strict=True)):
            out.extend(differences(a, b, f"{path}[{index}]"))
        return out
    if held is MISSING and sent is None:
        return []  # null and absent say the same: nothing set
    if _same(sent, held):
        return []
    return [(path, sent, None if held is MISSING else held)]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def content_key(payload: dict[str, Any], *, ignore: tuple[str, ...] = ()) -> str:
    """A payload's identity for "has this changed since we wrote it" (top-level keys in
    `ignore` do not count)."""
    body = {k: v for k, v in payload.items() if k not in ignore}
    return "sha256:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
