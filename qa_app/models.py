"""Database tables (SQLModel). Timestamps are timezone-aware and stored as UTC.

Schema changes go through Alembic (qa_app/migrations); after editing a table here,
add a migration revision and run ``qa-app db upgrade``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    LargeBinary,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

# Named constraints let later migrations alter them, SQLite batch mode included.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(UTC)


def naive_utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC without a time zone (naive values are taken as UTC already): SQLite
    gives stored timestamps back naive, PostgreSQL aware in the session's zone."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


class Role(StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    REVIEWER = "reviewer"
    COACH = "coach"


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class SessionState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    REVEALED = "revealed"
    CLOSED = "closed"


class ParticipantKind(StrEnum):
    REVIEWER = "reviewer"
    PANELIST = "panelist"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped to end every session of the account at once, on every server process.
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Failed logins before this moment no longer count towards the lockout.
    throttle_reset_at: datetime | None = None


class RubricVersion(SQLModel, table=True):
    """One loaded rubric file: id + version, its content hash and the TOML text itself."""

    __tablename__ = "rubrics"
    __table_args__ = (UniqueConstraint("rubric_id", "version", name="uq_rubrics_id_version"),)

    id: int | None = Field(default=None, primary_key=True)
    rubric_id: str = Field(max_length=100, index=True)
    version: int
    title: str = Field(max_length=200)
    content_hash: str = Field(max_length=64)
    content: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: datetime = Field(default_factory=utcnow)

    @property
    def key(self) -> str:
        return f"{self.rubric_id}@{self.version}"


class Call(SQLModel, table=True):
    __tablename__ = "calls"

    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(max_length=100, unique=True, index=True)
    agent: str = Field(max_length=200, index=True)
    team: str | None = Field(default=None, max_length=200, index=True)
    queue: str | None = Field(default=None, max_length=200, index=True)
    channel: str | None = Field(default=None, max_length=50, index=True)
    interaction_type: str | None = Field(default=None, max_length=100, index=True)
    started_at: datetime | None = Field(default=None, index=True)
    save_script: str | None = Field(default=None, max_length=100, index=True)
    agent_tenure_days: int | None = None
    # The customer on the call (customers.customer_id); calls may arrive before the customer.
    customer_id: str | None = Field(default=None, max_length=100, index=True)
    # The customer's sentiment on the call (-1 to 1) when the import gave one; outreach uses
    # it in preference to scoring the transcript.
    sentiment: float | None = None
    # The number of the transcript in transcript_turns; earlier ones are in transcript_versions.
    transcript_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    imported_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TranscriptTurn(SQLModel, table=True):
    __tablename__ = "transcript_turns"
    __table_args__ = (UniqueConstraint("call_pk", "position", name="uq_turns_call_position"),)

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    position: int
    speaker: str = Field(max_length=100)
    text: str = Field(sa_column=Column(Text, nullable=False))
    offset_seconds: float | None = None


class TranscriptVersion(SQLModel, table=True):
    """A call's earlier transcript, kept when an import replaced it: reviews scored on it keep
    their text and evidence turns. ``turns`` is a list of ``[speaker, text, offset_seconds]``."""

    __tablename__ = "transcript_versions"
    __table_args__ = (
        UniqueConstraint("call_pk", "version", name="uq_transcript_versions_call_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    version: int
    turns: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    replaced_at: datetime = Field(default_factory=utcnow)
    # The import file whose transcript replaced this one.
    replaced_by: str = Field(default="", max_length=255)


class Outcome(SQLModel, table=True):
    """A named result that arrives later from a CRM: saved, callback_30d, credit_amount, ...

    ``kind`` is ``boolean`` (value 0 or 1) or ``number``.
    """

    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("call_pk", "name", name="uq_outcomes_call_name"),)

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100, index=True)
    kind: str = Field(max_length=10)
    value: float
    updated_at: datetime = Field(default_factory=utcnow)


class Review(SQLModel, table=True):
    """One reviewer's scoring of one call under one rubric version."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("call_pk", "reviewer_id", "rubric_pk", name="uq_reviews_call_reviewer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    reviewer_id: int = Field(foreign_key="users.id", index=True)
    rubric_pk: int = Field(foreign_key="rubrics.id", index=True)
    status: str = Field(default=ReviewStatus.DRAFT, max_length=20, index=True)
    # Optimistic concurrency: every save must name the version it started from.
    version: int = 1
    # The call's transcript version the review was scored on (its evidence turns cite it).
    transcript_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None


class ReviewScore(SQLModel, table=True):
    """A review's answer for one dimension: a point on the scale or N/A, a note, evidence turns."""

    __tablename__ = "review_scores"
    __table_args__ = (UniqueConstraint("review_id", "dimension", name="uq_scores_review_dim"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", ondelete="CASCADE", index=True)
    dimension: str = Field(max_length=100)
    score: int | None = None
    not_applicable: bool = False
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    evidence: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Assignment(SQLModel, table=True):
    """A call a lead put in a reviewer's queue."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("call_pk", "reviewer_id", name="uq_assignments_call_reviewer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    reviewer_id: int = Field(foreign_key="users.id", index=True)
    assigned_by: int | None = Field(default=None, foreign_key="users.id")
    assigned_at: datetime = Field(default_factory=utcnow)


class ExportJob(SQLModel, table=True):
    """A coach's export running in the background; the finished file is kept in the database
    so any server process can hand it out."""

    __tablename__ = "export_jobs"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="queued", max_length=20)
    file_format: str = Field(max_length=10)
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    done_rows: int = 0
    total_rows: int = 0
    filename: str = Field(default="", max_length=200)
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class ImportJob(SQLModel, table=True):
    """A web upload being imported in the background (qa_app.store.imports.jobs).

    ``summary`` keeps the report the Import page shows (counts, the first row errors and
    refused changes), so the result outlives the thread and any server process can show it.
    ``runner`` (host:pid) tells whether the process running the job is still alive.
    """

    __tablename__ = "import_jobs"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, index=True)
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="queued", max_length=20)
    kind: str = Field(max_length=20)
    options: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    filename: str = Field(max_length=200)
    runner: str = Field(default="", max_length=300)
    done_rows: int = 0
    total_rows: int = 0
    summary: dict | None = Field(default=None, sa_column=Column(JSON))
    error: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class LoginAttempt(SQLModel, table=True):
    """A login attempt, written before its password is checked; kept for the throttle window."""

    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    succeeded: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class CalibrationSession(SQLModel, table=True):
    __tablename__ = "calibration_sessions"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    rubric_pk: int = Field(foreign_key="rubrics.id")
    state: str = Field(default=SessionState.DRAFT, max_length=20)
    deadline: datetime | None = None
    # Invite links keep working this many hours after the deadline (None: until closed).
    link_grace_hours: int | None = None
    created_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    revealed_at: datetime | None = None
    closed_at: datetime | None = None
    # The one-time token of the form that created the session: sending that form again (a
    # reload, a double click, another server process) finds this session instead of a twin.
    form_token: str | None = Field(default=None, max_length=64, unique=True)


class CalibrationCall(SQLModel, table=True):
    __tablename__ = "calibration_calls"
    __table_args__ = (UniqueConstraint("session_id", "call_pk", name="uq_session_call"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    position: int = 0


class CalibrationParticipant(SQLModel, table=True):
    """A QA reviewer (``user_id``) or an account-less customer panelist (invite token)."""

    __tablename__ = "calibration_participants"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=20)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    display_name: str = Field(max_length=200)
    # Only a hash of the invite token is stored; the link itself is shown once.
    invite_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    # A new link waiting to be shown once on the lead's next page view: the token is derived
    # from this seed and a key kept only in the lead's login session, so neither the
    # database nor the cookie alone holds a working link. Cleared once shown.
    invite_seed: str | None = Field(default=None, max_length=64)
    revoked_at: datetime | None = None
    item_order: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class CalibrationRating(SQLModel, table=True):
    """One participant's score for one call and dimension in a calibration session.

    ``item_position`` is where the item was shown to a panelist (1 = first), so order
    effects can be checked; reviewers see the rubric order.
    """

    __tablename__ = "calibration_ratings"
    __table_args__ = (
        UniqueConstraint("participant_id", "call_pk", "dimension", name="uq_ratings_participant"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(
        foreign_key="calibration_participants.id", ondelete="CASCADE", index=True
    )
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    dimension: str = Field(max_length=100)
    score: int | None = None
    not_applicable: bool = False
    item_position: int = 0
    # As on a review: the rater's note and the transcript turns it cites (0-based).
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    evidence: list[int] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'")),
    )


class CalibrationSubmission(SQLModel, table=True):
    """A participant finished a call (with the panel's open-text comment, if any)."""

    __tablename__ = "calibration_submissions"
    __table_args__ = (
        UniqueConstraint("participant_id", "call_pk", name="uq_submissions_participant_call"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(
        foreign_key="calibration_participants.id", ondelete="CASCADE", index=True
    )
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    submitted_at: datetime = Field(default_factory=utcnow)


class CalibrationConsensus(SQLModel, table=True):
    """The score a calibration meeting agreed for a call and dimension, with a note."""

    __tablename__ = "calibration_consensus"
    __table_args__ = (
        UniqueConstraint("session_id", "call_pk", "dimension", name="uq_consensus_call_dim"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="calibration_sessions.id", ondelete="CASCADE", index=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    dimension: str = Field(max_length=100)
    score: int | None = None
    not_applicable: bool = False
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    decided_by: int = Field(foreign_key="users.id")
    decided_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Who did what, when, with the values before and after."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor_label: str = Field(max_length=254)
    action: str = Field(max_length=100, index=True)
    entity_type: str = Field(max_length=50)
    entity_id: str = Field(max_length=100)
    before: dict | None = Field(default=None, sa_column=Column(JSON))
    after: dict | None = Field(default=None, sa_column=Column(JSON))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class SamplingPlan(SQLModel, table=True):
    """A lead's plan of which calls to review in a period (qa_app.domain.sampling.plan).

    ``content`` is the plan file as given; ``drawn_at`` is set once its calls are drawn and
    assigned (a plan is drawn once: a second draw would change the probabilities).
    """

    __tablename__ = "sampling_plans"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    since: datetime
    until: datetime
    seed: int = Field(sa_type=BigInteger)
    strata: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    drawn_at: datetime | None = None
    drawn_by: int | None = Field(default=None, foreign_key="users.id")


class SampledCall(SQLModel, table=True):
    """A call a plan drew, with its stratum and inclusion probability (None for calls added
    to reach an agent's minimum, which are outside the probability sample)."""

    __tablename__ = "sampled_calls"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="sampling_plans.id", ondelete="CASCADE", index=True)
    # A call belongs to at most one plan: plans of overlapping periods never draw it twice.
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", unique=True, index=True)
    stratum: str = Field(max_length=500)
    purpose: str = Field(max_length=20)
    probability: float | None = None
    stratum_population: int = 0


class Customer(SQLModel, table=True):
    """A customer followed over time: onboarded, perhaps ended (churned), with a value."""

    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(max_length=100, unique=True, index=True)
    onboarded_at: datetime
    # Blank while the customer is active.
    ended_at: datetime | None = None
    segment: str | None = Field(default=None, max_length=100, index=True)
    monthly_value: float | None = None
    imported_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CustomerEvent(SQLModel, table=True):
    """Something that happened to a customer: renewal, incident, nps, spend, usage, opt_out...

    One event per customer, moment and kind; a re-import of the same one updates its value.
    """

    __tablename__ = "customer_events"
    __table_args__ = (
        UniqueConstraint("customer_pk", "at", "kind", name="uq_customer_events_customer_at_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_pk: int = Field(foreign_key="customers.id", ondelete="CASCADE", index=True)
    at: datetime = Field(index=True)
    kind: str = Field(max_length=30, index=True)
    value: float | None = None
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class AnalysisPlan(SQLModel, table=True):
    """Lags and outcomes fixed before anyone looks at results (``content`` is the plan's
    TOML); later changes are amendments with a reason, kept in the audit trail."""

    __tablename__ = "analysis_plans"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    amendments: int = 0


class SurveyLink(SQLModel, table=True):
    """A call's customer survey link: only the token's hash is stored (the token is handed out
    once, in the links file); the item order shown is fixed when the link is made."""

    __tablename__ = "survey_links"

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", unique=True, index=True)
    survey_key: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # Item ids in the order this respondent sees them (rotated per respondent).
    item_order: list = Field(sa_column=Column(JSON, nullable=False))
    sequence: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    responded_at: datetime | None = None
    open_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class SurveyResponse(SQLModel, table=True):
    """One customer's answer to one survey item about one call (through a link or imported)."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("call_pk", "item", name="uq_survey_responses_call_item"),)

    id: int | None = Field(default=None, primary_key=True)
    call_pk: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    link_id: int | None = Field(default=None, foreign_key="survey_links.id", ondelete="SET NULL")
    survey_key: str = Field(max_length=120)
    item: str = Field(max_length=50, index=True)
    score: int
    # 1-based place the item was shown in; blank when the source did not record it.
    position: int | None = None
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    responded_at: datetime = Field(index=True)
    source: str = Field(default="link", max_length=20)


class OutreachAlert(SQLModel, table=True):
    """A customer to reach out to (qa_app.domain.outreach.engine): the call behind it, the
    signals and reasons, who it is assigned to, and how it was closed."""

    __tablename__ = "outreach_alerts"
    __table_args__ = (
        UniqueConstraint("customer_id", "day", name="uq_outreach_alerts_customer_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(max_length=100, index=True)
    call_pk: int | None = Field(default=None, foreign_key="calls.id", ondelete="SET NULL")
    day: date = Field(index=True)
    team: str = Field(max_length=200, index=True)
    rule: str = Field(max_length=200)
    rules_key: str = Field(max_length=120)
    priority: int
    signals: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=20, index=True)
    assigned_to: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    closed_by: int | None = Field(default=None, foreign_key="users.id")
    # apology_and_fix, follow_up_scheduled, escalated, customer_declined, no_contact
    pathway: str | None = Field(default=None, max_length=30)
    credit: float | None = None
    do_not_contact: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class OutreachOptOut(SQLModel, table=True):
    """A customer who asked not to be contacted again, recorded in the app."""

    __tablename__ = "outreach_opt_outs"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(max_length=100, unique=True, index=True)
    at: datetime = Field(default_factory=utcnow)
    alert_id: int | None = Field(
        default=None, foreign_key="outreach_alerts.id", ondelete="SET NULL"
    )
    recorded_by: int | None = Field(default=None, foreign_key="users.id")


class OutreachSuppression(SQLModel, table=True):
    """A customer who met the rules on a day but whom a guard held back (the daily cap's are
    the comparison group for tracking)."""

    __tablename__ = "outreach_suppressions"
    __table_args__ = (
        UniqueConstraint("customer_id", "day", name="uq_outreach_suppressions_customer_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(max_length=100, index=True)
    day: date = Field(index=True)
    reason: str = Field(max_length=20)
    team: str = Field(max_length=200)
    signals: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Experiment(SQLModel, table=True):
    """A pre-registered experiment (``content`` is the plan's TOML). Registering locks it: the
    content hash and time are fixed, and a later change is an amendment with a reason."""

    __tablename__ = "experiments"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    status: str = Field(default="draft", max_length=10)  # draft, locked
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    locked_at: datetime | None = None
    locked_by: int | None = Field(default=None, foreign_key="users.id")
    # The seed the units were assigned with, and when (once; the assignment is then fixed).
    seed: int | None = Field(default=None, sa_type=BigInteger)
    assigned_at: datetime | None = None


class ExperimentAmendment(SQLModel, table=True):
    """A change to a locked experiment's plan: the new content, its hash and the reason."""

    __tablename__ = "experiment_amendments"

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiments.id", ondelete="CASCADE", index=True)
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow)
    by: int | None = Field(default=None, foreign_key="users.id")


class ExperimentUnit(SQLModel, table=True):
    """One randomised unit (a queue, or a weekday-shift block) of an experiment, its stratum
    and the arm the seeded draw gave it."""

    __tablename__ = "experiment_units"
    __table_args__ = (
        UniqueConstraint("experiment_id", "unit", name="uq_experiment_units_experiment_unit"),
    )

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiments.id", ondelete="CASCADE", index=True)
    unit: str = Field(max_length=200)
    stratum: str = Field(max_length=200)
    arm: str = Field(max_length=100)


class AgentExposure(SQLModel, table=True):
    """An agent who received an intervention (training, script, playbook) and when."""

    __tablename__ = "agent_exposures"
    __table_args__ = (
        UniqueConstraint(
            "agent", "intervention", "at", name="uq_agent_exposures_agent_intervention_at"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(max_length=200, index=True)
    intervention: str = Field(max_length=200, index=True)
    at: datetime
    imported_at: datetime = Field(default_factory=utcnow)
