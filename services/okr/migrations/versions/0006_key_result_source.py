"""live-data key results: a key result's data source, a check-in's provenance (contract §9)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 02:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.JSON(), nullable=True))
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_column('source')
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.drop_column('source')
