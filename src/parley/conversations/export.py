"""Export conversations as JSON Lines or CSV, filtered like the list, streamed page by page.

Each page is read in its own short session (keyset pagination in list order), turned into text
and handed on before the next is read, so memory stays constant however many conversations
match. JSONL rows are the full record with turns (`ConversationDetail`); CSV has one row per
conversation with flat columns, data-collection values as `data.<field>` and evaluation results
as `eval.<criterion>` (the columns are the label keys the matching conversations have, read
up front, since a CSV header comes first). Only the masked caller number is ever stored, so
nothing here needs scrubbing; CSV leaves the caller out altogether.

CSV cells are guarded against formula injection (OWASP "CSV injection"): transcripts, summaries
and data-collection values are written by callers and LLMs, and a spreadsheet would run a cell
such as `=HYPERLINK(...)` or `@SUM(...)`. Any text cell that starts with `=`, `+`, `-`, `@`, a
tab or a carriage return gets a leading `'`, which spreadsheets take as "this is text". The
rule is by type, not by look: values that are numbers in the record (cost, duration, numeric
data-collection values) are written as plain numbers and never prefixed, since a number cannot
carry a formula; text that merely looks like a number (`"-3.5"`, `"+441234"`) or a masked phone
number (`+44•••1234`) is text, and is prefixed like any other. The header is guarded the same
way (its `data.`/`eval.` names come from providers). JSONL is not touched: it is data, not a
sheet, and a reader wants the text exactly as it was.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.conversations import service
from parley.conversations.repository import ConversationFilter, ConversationRepository
from parley.conversations.schemas import ConversationDetail

Format = Literal["jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
PAGE = 200
CSV_COLUMNS = (
    "id",
    "provider",
    "remote_id",
    "agent",
    "version",
    "started_at",
    "duration_s",
    "successful",
    "cost",
    "cost_unit",
    "termination_reason",
    "summary",
)
Sessions = async_sessionmaker[AsyncSession]
# What makes a spreadsheet read a cell as a formula (OWASP's list); see the module docstring.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


async def count(session: AsyncSession, flt: ConversationFilter) -> int:
    return await ConversationRepository(session).count(flt)


async def _pages(
    sessions: Sessions, flt: ConversationFilter, *, turns: bool, page: int
) -> AsyncIterator[list[ConversationDetail]]:
    after = None
    while True:
        async with sessions() as session:
            rows = await ConversationRepository(session).find(
                flt, after=after, limit=page, with_turns=turns
            )
            items = [service.detail(row, agent, turns=turns) for row, agent in rows]
        if items:
            yield items
        if len(rows) < page:
            return
        after = (items[-1].started_at, items[-1].id)


async def stream(
    sessions: Sessions, flt: ConversationFilter, fmt: Format, *, page: int = PAGE
) -> AsyncIterator[tuple[str, int]]:
    """Chunks of text, each with how many conversations it carries (0 for the CSV header)."""
    if fmt == "jsonl":
        async for items in _pages(sessions, flt, turns=True, page=page):
            yield "".join(item.model_dump_json() + "\n" for item in items), len(items)
        return
    async with sessions() as session:
        keys = await ConversationRepository(session).label_keys(flt)
    extra = [k for k in keys if k.startswith("data.")] + [k for k in keys if k.startswith("eval.")]
    yield _csv_line([guard(name) for name in (*CSV_COLUMNS, *extra)]), 0
    async for items in _pages(sessions, flt, turns=False, page=page):
        yield "".join(_csv_line(_csv_row(item, extra)) for item in items), len(items)


def _csv_row(item: ConversationDetail, extra: Sequence[str]) -> list[str]:
    plain = item.model_dump(mode="json", include=set(CSV_COLUMNS))
    cells = [_cell(plain[name]) for name in CSV_COLUMNS]
    for key in extra:
        kind, _, name = key.partition(".")
        if kind == "data":
            cells.append(_cell((item.data_collection.get(name) or {}).get("value")))
        else:
            cells.append(_cell((item.evaluation.get(name) or {}).get("result")))
    return cells


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # a number stays a number: never a formula, never prefixed
    return guard(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def guard(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading `'`."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()
