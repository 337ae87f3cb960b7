"""Experiments: arms of agent versions, sticky assignments, outcomes and running sums.

- `experiments`: one per test of an agent; its settings are a validated spec (`spec` JSON) so new
  options need no migration; `status` walks draft → running ⇄ paused → stopped | promoted.
- `experiment_arms`: arm 0 is the control; `weight` is the share of *new* units it gets now
  (bandits rewrite it), `paused` arms get no new units and their stored units fall back to the
  control; `remote_branch_id`/`remote_version_id` say where the provider serves the arm.
- `experiment_assignments`: the first arm a unit got, which always wins afterwards (reference
  §4.2), with the share its arm had at that moment (the SRM's expected counts, §4.13).
- `experiment_outcomes`: one row per conversation of the experiment with its metric values, so a
  later, better outcome for the same conversation replaces the old one in the sums exactly.
- `experiment_sums`: per arm, metric and hour of exposure (n, Σy, Σy²), kept by adding deltas, so
  an analysis reads O(arms * metrics * hours) rows however many conversations there are (§4.6).
  Counters that are not metrics use reserved names: `_exposures` (started conversations) and
  `_assigned` (new units; Σy is the sum of the expected shares).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db.base import Base, JSONType, UTCDateTime, utcnow


class Experiment(Base):
    __tablename__ = "experiments"
    __table_args__ = (Index("ix_experiments_agent_status", "agent_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    bucket_version: Mapped[int] = mapped_column(Integer, default=1)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    winner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reweighted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    arms: Mapped[list[ExperimentArm]] = relationship(
        order_by="ExperimentArm.position",
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ExperimentArm(Base):
    __tablename__ = "experiment_arms"
    __table_args__ = (UniqueConstraint("experiment_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(32))
    version_number: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)
    paused: Mapped[bool] = mapped_column(default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Where the provider serves this arm's version (ElevenLabs: a branch cut from it), set when
    # the experiment starts; None means the applied version's own ids are enough.
    remote_branch_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    remote_version_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class ExperimentAssignment(Base):
    __tablename__ = "experiment_assignments"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    bucket_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit: Mapped[str] = mapped_column(String(128), primary_key=True)
    arm_id: Mapped[int] = mapped_column(ForeignKey("experiment_arms.id", ondelete="CASCADE"))
    share: Mapped[float] = mapped_column(Float)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExperimentOutcome(Base):
    __tablename__ = "experiment_outcomes"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    arm_id: Mapped[int] = mapped_column(ForeignKey("experiment_arms.id", ondelete="CASCADE"))
    period: Mapped[datetime] = mapped_column(UTCDateTime)
    values: Mapped[dict[str, float]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExperimentSum(Base):
    __tablename__ = "experiment_sums"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    arm_id: Mapped[int] = mapped_column(
        ForeignKey("experiment_arms.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(128), primary_key=True)
    period: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    total_squares: Mapped[float] = mapped_column(Float, default=0.0)
