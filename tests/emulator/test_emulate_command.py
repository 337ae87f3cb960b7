"""`parley emulate` as a user runs it: a real process on a real port, driven by the SDK."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from elevenlabs.client import ElevenLabs

from tests.live_emulator import free_port


@contextmanager
def emulate(*args: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "parley", "emulate", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with httpx.Client() as probe:
                    probe.get(f"{url}/_emulator/state", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("parley emulate did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        assert process.stderr is not None
        process.stderr.close()


def test_the_sdk_works_against_parley_emulate(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with emulate("--seed", "4", "--state-file", str(state)) as url, httpx.Client() as http:
        sdk = ElevenLabs(api_key="any-key", base_url=f"{url}/elevenlabs", httpx_client=http)
        created = sdk.conversational_ai.agents.create(
            name="smoke",
            conversation_config={"agent": {"first_message": "Hi", "prompt": {"prompt": "Help."}}},
        )
        assert sdk.conversational_ai.agents.get(created.agent_id).name == "smoke"
        simulated = http.post(
            f"{url}/_emulator/simulate",
            json={"provider": "elevenlabs", "options": {"agent_id": created.agent_id, "count": 3}},
        )
        simulated.raise_for_status()
        listed = sdk.conversational_ai.conversations.list(agent_id=created.agent_id)
        assert len(listed.conversations) == 3
    # Stopped and started again: the state file brings the workspace back.
    with emulate("--state-file", str(state)) as url, httpx.Client() as http:
        sdk = ElevenLabs(api_key="any-key", base_url=f"{url}/elevenlabs", httpx_client=http)
        assert sdk.conversational_ai.agents.get(created.agent_id).name == "smoke"
