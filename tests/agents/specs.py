"""Small spec texts for tests, and a helper to write them to files."""

from __future__ import annotations

import textwrap
from pathlib import Path

MINIMAL = """\
name: greeter
system_prompt: You greet people.
llm:
  model: gpt-4o-mini
"""

WITH_VARIABLES = """\
name: greeter
description: Greets callers by name
tags: [demo, support]
metadata: {owner: team-a}
system_prompt: |
  You greet people.
  The caller is {{user_name}} from {{company}}.
first_message: Hello {{user_name}}!
llm:
  model: gpt-4o-mini
  temperature: 0.2
voice:
  id: voice-1
variables:
  user_name:
    required: true
  company:
    default: Acme
  api_token:
    secret: true
"""


def write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(content), encoding="utf-8")
    return path
