"""The committed coverage table matches what the emulator serves (`make emulator-coverage`)."""

from __future__ import annotations

from parley.emulator import coverage
from tests.conftest import REPO


def test_committed_coverage_table_is_current() -> None:
    committed = (REPO / "docs" / "emulator-coverage.md").read_text(encoding="utf-8")
    assert committed == coverage.render(), (
        "docs/emulator-coverage.md is stale: run `make emulator-coverage` and commit it"
    )


def test_the_core_operations_are_all_emulated() -> None:
    served = coverage.served_routes("elevenlabs")
    for method, path in [
        ("POST", "/v1/convai/agents/create"),
        ("PATCH", "/v1/convai/agents/{}"),
        ("GET", "/v1/convai/conversations/{}"),
        ("GET", "/v1/convai/conversation/get-signed-url"),
        ("WS", "/v1/convai/conversation"),
    ]:
        assert (method, path) in served
    sdk = {(op.method, op.path) for op in coverage.sdk_operations()}
    assert ("PATCH", "/v1/convai/agents/{}") in sdk  # the SDK parse finds real operations
    assert len(sdk) > 200
