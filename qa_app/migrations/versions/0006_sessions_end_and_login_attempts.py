"""session generations, login attempts, invite-link grace

users.session_generation ends every session of an account when bumped (logout, password
reset, role change, deactivation); users.throttle_reset_at is when its failed logins stop
counting (a successful login, a password reset). login_failures becomes login_attempts: each
attempt is written before the password is checked, so concurrent guesses cannot all pass
the count; its rows are throttle state for 15 minutes (the audit trail keeps every login).
calibration_sessions.link_grace_hours: invite links work this long after the deadline.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("throttle_reset_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_grace_hours", sa.Integer(), nullable=True))
    _drop_login_table("login_failures")
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    _index_login_table("login_attempts")


def downgrade() -> None:
    _drop_login_table("login_attempts")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    _index_login_table("login_failures")
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.drop_column("link_grace_hours")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("throttle_reset_at")
        batch_op.drop_column("session_generation")


def _index_login_table(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in ("address", "at", "email"):
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def _drop_login_table(table: str) -> None:
    # Throttle state for the last 15 minutes only: dropping it on upgrade forgets nothing kept.
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in ("email", "at", "address"):
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
    op.drop_table(table)
