"""panelists' links: when each was first opened

``calibration_participants.opened_at``: the lead's session page shows each link's state
(not opened, opened, started, finished, revoked) beside the link itself.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calibration_participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("calibration_participants", schema=None) as batch_op:
        batch_op.drop_column("opened_at")
