"""A `Providers` borrows the process's connection pools and leaves them open when it closes."""

from __future__ import annotations

from pathlib import Path

import httpx

from parley.config import settings_with
from parley.providers.registry import Providers


class Counting(httpx.MockTransport):
    def __init__(self) -> None:
        super().__init__(lambda request: httpx.Response(200, json={"seen": str(request.url)}))
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


async def test_adapters_share_the_pool_and_do_not_close_it(tmp_path: Path) -> None:
    settings = settings_with(data_dir=tmp_path, elevenlabs_api_key="xi-test")
    pool = Counting()
    for _ in range(2):  # one unit of work after another, on the same pool
        async with Providers(settings, pools={"elevenlabs": pool}) as providers:
            http = providers.get("elevenlabs").http  # type: ignore[attr-defined]
            answer = await http.get("https://api.example.test/v1/ping")
            assert answer.json() == {"seen": "https://api.example.test/v1/ping"}
    assert pool.closed == 0
    await pool.aclose()


async def test_a_transport_given_for_the_unit_of_work_wins_over_the_pool(tmp_path: Path) -> None:
    settings = settings_with(data_dir=tmp_path, elevenlabs_api_key="xi-test")
    own = httpx.MockTransport(lambda request: httpx.Response(200, json={"own": True}))
    async with Providers(
        settings, transports={"elevenlabs": own}, pools={"elevenlabs": Counting()}
    ) as providers:
        http = providers.get("elevenlabs").http  # type: ignore[attr-defined]
        assert (await http.get("https://api.example.test/")).json() == {"own": True}
