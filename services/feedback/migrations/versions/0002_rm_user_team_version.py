"""rm_users.version and rm_teams.version: okr's users and teams carry a version now, so the
read model orders their events by it (like objectives and key results) instead of by the
event's time (seen_at)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 21:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import boost_platform.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('rm_users', 'rm_teams'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
            batch_op.drop_column('seen_at')


def downgrade() -> None:
    for table in ('rm_users', 'rm_teams'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('seen_at', boost_platform.db.UTCDateTime(), nullable=False,
                                          server_default=sa.text("'1970-01-01 00:00:00'")))
            batch_op.drop_column('version')
