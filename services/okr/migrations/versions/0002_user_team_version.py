"""users.version and teams.version: their events carry the version after the change, so
readers order them like objectives and key results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 21:21:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('users', 'teams'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))


def downgrade() -> None:
    for table in ('users', 'teams'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
