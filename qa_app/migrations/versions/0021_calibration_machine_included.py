"""calibration sessions say whether the lead counts the machine rater in an alpha row

The machine rater is shown on every revealed session's dashboard beside QA and the panel;
its scores enter an agreement figure only when the lead includes it, and then only in a row
of its own ("everyone and the machine"), never in the people's figures.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("include_machine", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.drop_column("include_machine")
