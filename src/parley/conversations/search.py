"""Full-text search over transcripts and summaries: one filter, two engines.

What the user typed is reduced to its words (runs of letters and digits), and a conversation
matches when every word occurs in its summary or in any of its turns (not necessarily the same
turn). Reducing to words is what makes any input safe: quotes, `AND`/`OR`/`NOT`/`NEAR`, `*`,
`^`, `-`, `:` and brackets are never handed to either engine's query syntax, and both engines
split text the same way (SQLite's unicode61 tokenizer and PostgreSQL's `simple` configuration
both break on punctuation, including `_`, and fold case). One difference stays: SQLite folds
diacritics (`cafe` finds `café`), PostgreSQL without the unaccent extension does not.

- SQLite: the FTS5 table `conversation_search` (migration 0006) holds one row per conversation,
  rowid = conversation id. The repository rewrites the row whenever it stores the conversation:
  turns are only ever replaced as a whole by the repository, and `conversation_turns` has a
  composite key, so its implicit rowid (which VACUUM may renumber) cannot key an
  external-content table. A trigger drops the row when the conversation is deleted.
- PostgreSQL: GIN expression indexes over `to_tsvector('simple', ...)` (no stemming, so both
  engines find the same words); each word is an indexed semi-join on the turns, or'ed with
  the summary's index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, false, func, literal_column, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from parley.models import Conversation, ConversationTurn

# Every database object full-text search adds outside the ORM models (SQLite's FTS5 table
# also makes shadow tables named conversation_search_*).
SEARCH_OBJECTS = (
    "conversation_search",
    "ix_conversation_turns_text_fts",
    "ix_conversations_summary_fts",
)
MAX_TERMS = 16
_WORD = re.compile(r"[^\W_]+")
# A constant, not a bound parameter: PostgreSQL uses an expression index only when the query
# spells the very same expression.
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


def terms(query: str) -> tuple[str, ...]:
    """The distinct words of `query`, lower-cased, at most MAX_TERMS of them."""
    words = dict.fromkeys(word.lower() for word in _WORD.findall(query))
    return tuple(words)[:MAX_TERMS]


def matches(dialect: str, words: Sequence[str]) -> ColumnElement[bool]:
    """A condition on `conversations` that holds when every word occurs in the conversation."""
    if not words:
        return false()  # nothing searchable was typed (only punctuation): nothing matches
    if dialect == "sqlite":
        # Each word quoted: an FTS5 string, never an operator; juxtaposed strings are an AND.
        fts_query = " ".join(f'"{word}"' for word in words)
        ids: Select[Any] = select(literal_column("rowid")).select_from(text("conversation_search"))
        ids = ids.where(
            text("conversation_search MATCH :fts_query").bindparams(fts_query=fts_query)
        )
        return Conversation.id.in_(ids)
    summaries = aliased(Conversation)
    conditions = []
    for word in words:
        query = func.plainto_tsquery(_SIMPLE, word)
        in_turns = select(ConversationTurn.conversation_id).where(
            func.to_tsvector(_SIMPLE, ConversationTurn.text).op("@@")(query)
        )
        in_summary = select(summaries.id).where(
            func.to_tsvector(_SIMPLE, func.coalesce(summaries.summary, literal_column("''"))).op(
                "@@"
            )(query)
        )
        conditions.append(Conversation.id.in_(union(in_turns, in_summary)))
    return and_(*conditions)


async def reindex(
    session: AsyncSession, conversation_id: int, summary: str | None, texts: Sequence[str]
) -> None:
    """Rewrite one conversation's search row (SQLite only; PostgreSQL's indexes need nothing)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    params = {"id": conversation_id}
    await session.execute(text("DELETE FROM conversation_search WHERE rowid = :id"), params)
    await session.execute(
        text(
            "INSERT INTO conversation_search (rowid, summary, transcript) "
            "VALUES (:id, :summary, :transcript)"
        ),
        {**params, "summary": summary or "", "transcript": "\n".join(texts)},
    )
