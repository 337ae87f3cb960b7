"""Full-text search (both engines) and streaming export, on both databases."""

from __future__ import annotations

import csv
import io
import json

import pytest

from parley.conversations import export, service
from parley.conversations.repository import ConversationFilter
from parley.conversations.schemas import ConversationDetail, ConversationRecord, Turn
from parley.db.engine import session_scope
from tests.conversations.conftest import Sessions
from tests.conversations.records import elevenlabs_record

TEXTS = {
    1: ("Refund requested", ["I want a refund", "for my order please"]),
    2: ("Cancellation", ["Please cancel my subscription"]),
    3: ("Customer asked to cancel", ["refund? maybe later"]),
    4: ("Odd input", ['C++ AND "quoted" NEAR(x) *star* -minus col:on']),
    5: ("Nothing", ["just saying hello"]),
}


def _record(index: int, **kw: object) -> ConversationRecord:
    summary, texts = TEXTS[index]
    record = elevenlabs_record(index, verdict="success" if index % 2 else "failure", **kw)  # type: ignore[arg-type]
    turns = [Turn(role="user", text=text) for text in texts]
    return record.model_copy(update={"summary": summary, "turns": turns})


async def _seed(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        for index in TEXTS:
            await service.store(session, _record(index), caller_key=b"k")


async def _found(sessions: Sessions, text: str, **kw: object) -> list[str]:
    flt = ConversationFilter(search=text, **kw)  # type: ignore[arg-type]
    async with session_scope(sessions) as session:
        page = await service.list_conversations(session, flt, limit=50)
    return [item.remote_id for item in page.items]


async def test_search_turns_and_summaries(sessions: Sessions) -> None:
    await _seed(sessions)
    assert await _found(sessions, "refund") == ["conv_0003", "conv_0001"]  # list order
    assert await _found(sessions, "REFUND") == ["conv_0003", "conv_0001"]
    assert await _found(sessions, "subscription") == ["conv_0002"]
    assert await _found(sessions, "cancellation") == ["conv_0002"]  # summary only
    # Every word must occur, anywhere in the conversation: turn + summary, or two turns.
    assert await _found(sessions, "refund cancel") == ["conv_0003"]
    assert await _found(sessions, "refund order") == ["conv_0001"]
    # No false hits: whole words, not substrings or prefixes.
    assert await _found(sessions, "refun") == []
    assert await _found(sessions, "cancelled") == []
    assert await _found(sessions, "refund subscription") == []


REFUNDS = ["conv_0003", "conv_0001"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ('"refund', REFUNDS),
        ('refund"', REFUNDS),
        ("NEAR(refund", []),  # `near` is a word here, and no refund conversation has it
        ("refund*", REFUNDS),
        ("-refund", REFUNDS),
        ("^refund:", REFUNDS),
        ("(refund)", REFUNDS),
        ("refund AND", []),  # every word must occur: no conversation says "and"
        ("summary:refund", []),  # not a column filter: "summary" is just a word
        ("'; DROP TABLE conversations; --", []),
        ("!!!", []),
        ("", []),
        ('"', []),
    ],
)
async def test_search_input_never_breaks_the_query(
    sessions: Sessions, typed: str, expected: list[str]
) -> None:
    await _seed(sessions)
    assert await _found(sessions, typed) == expected


async def test_search_operators_are_plain_words(sessions: Sessions) -> None:
    await _seed(sessions)
    assert await _found(sessions, '"quoted" NEAR star') == ["conv_0004"]
    assert await _found(sessions, "col:on C++") == ["conv_0004"]
    assert await _found(sessions, "!!!") == []


async def test_search_with_filters_pages_and_restore(sessions: Sessions) -> None:
    await _seed(sessions)
    assert await _found(sessions, "refund", successful=True) == ["conv_0003", "conv_0001"]
    assert await _found(sessions, "cancel", successful=False) == ["conv_0002"]
    assert await _found(sessions, "cancel", successful=True) == ["conv_0003"]
    assert await _found(sessions, "refund", labels=(("eval.meeting_booked", "success"),)) == [
        "conv_0003",
        "conv_0001",
    ]
    flt = ConversationFilter(search="refund")
    async with session_scope(sessions) as session:
        first = await service.list_conversations(session, flt, limit=1)
        second = await service.list_conversations(session, flt, limit=1, cursor=first.next_cursor)
    assert [i.remote_id for i in first.items + second.items] == ["conv_0003", "conv_0001"]
    assert second.next_cursor is None
    # Storing again replaces the transcript, and the search follows.
    changed = _record(1).model_copy(update={"turns": [Turn(role="user", text="all good")]})
    async with session_scope(sessions) as session:
        await service.store(session, changed, caller_key=b"k")
    assert await _found(sessions, "order") == []
    assert await _found(sessions, "good") == ["conv_0001"]
    assert await _found(sessions, "refund") == ["conv_0003", "conv_0001"]  # summary still says so


async def _export(sessions: Sessions, fmt: str, flt: ConversationFilter, page: int) -> list[str]:
    chunks = []
    async for chunk, _count in export.stream(sessions, flt, fmt, page=page):  # type: ignore[arg-type]
        chunks.append(chunk)
    return chunks


async def test_jsonl_export_round_trips_in_pages(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        for index in TEXTS:
            number = "+44 20 7946 0958" if index == 2 else None
            await service.store(session, _record(index, number=number), caller_key=b"k")
    chunks = await _export(sessions, "jsonl", ConversationFilter(), page=2)
    assert len(chunks) == 3  # 2 + 2 + 1: several pages streamed
    text = "".join(chunks)
    records = [ConversationDetail.model_validate_json(line) for line in text.splitlines()]
    async with session_scope(sessions) as session:
        shown = [await service.show(session, r.remote_id) for r in records]
    assert records == shown
    assert [r.remote_id for r in records] == [f"conv_000{i}" for i in (5, 4, 3, 2, 1)]
    assert records[3].turns[0].text == "Please cancel my subscription"
    assert "+44••••••0958" in text
    assert "7946" not in text
    async with session_scope(sessions) as session:
        assert await export.count(session, ConversationFilter(search="refund")) == 2
    searched = await _export(sessions, "jsonl", ConversationFilter(search="refund"), page=1)
    assert [json.loads(c)["remote_id"] for c in searched] == ["conv_0003", "conv_0001"]


async def test_csv_export_has_flat_columns(sessions: Sessions) -> None:
    await _seed(sessions)
    text = "".join(await _export(sessions, "csv", ConversationFilter(), page=2))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    header = list(rows[0])
    assert header[: len(export.CSV_COLUMNS)] == list(export.CSV_COLUMNS)
    assert "data.meeting_booked" in header
    assert "eval.meeting_booked" in header
    assert header.index("data.meeting_booked") < header.index("eval.meeting_booked")
    assert not any("caller" in name for name in header)
    first = rows[-1]
    assert first["remote_id"] == "conv_0001"
    assert first["provider"] == "elevenlabs"
    assert first["summary"] == "Refund requested"
    assert first["successful"] == "true"
    assert first["data.meeting_booked"] == "true"
    assert first["eval.meeting_booked"] == "success"
    assert rows[-2]["eval.meeting_booked"] == "failure"
    only = "".join(await _export(sessions, "csv", ConversationFilter(successful=False), page=1))
    assert [r["remote_id"] for r in csv.DictReader(io.StringIO(only))] == [
        "conv_0004",
        "conv_0002",
    ]
