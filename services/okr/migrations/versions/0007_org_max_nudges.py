"""org.max_nudges_per_week: how many scheduled reminders a person hears at most in a week
(§9 "Fewer, smarter nudges"; default 3)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('org', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_nudges_per_week', sa.Integer(), nullable=False, server_default=sa.text('3')))


def downgrade() -> None:
    with op.batch_alter_table('org', schema=None) as batch_op:
        batch_op.drop_column('max_nudges_per_week')
