"""calibration ratings keep a note and evidence turns

Calibration scoring uses the review scorecard, so each rating keeps what a review keeps:
a note and the transcript turns it cites (1-based numbers on the page, stored 0-based).
Existing ratings get an empty note and no evidence.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calibration_ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("evidence", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("calibration_ratings", schema=None) as batch_op:
        batch_op.drop_column("evidence")
        batch_op.drop_column("note")
