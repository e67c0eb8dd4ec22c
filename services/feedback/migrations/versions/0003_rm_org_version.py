"""rm_org.version: okr's org events carry the org's version, so the read model orders them
by it like everything else it keeps (instead of by the event's time, seen_at)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 21:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import boost_platform.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rm_org', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.drop_column('seen_at')


def downgrade() -> None:
    with op.batch_alter_table('rm_org', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_at', boost_platform.db.UTCDateTime(), nullable=False,
                                      server_default=sa.text("'1970-01-01 00:00:00'")))
        batch_op.drop_column('version')
