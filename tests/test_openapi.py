"""The committed OpenAPI document matches the code (regenerate with `make openapi`)."""

from __future__ import annotations

import json

from parley.cli.server import openapi_document
from tests.conftest import REPO


def test_committed_openapi_matches_the_code() -> None:
    committed = (REPO / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(openapi_document()), (
        "docs/openapi.json is stale: run `make openapi` and commit the result"
    )


def test_every_api_route_requires_a_bearer_token() -> None:
    document = json.loads(openapi_document())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            secured = "security" in operation
            assert secured == path.startswith("/api/"), f"{method.upper()} {path}"
