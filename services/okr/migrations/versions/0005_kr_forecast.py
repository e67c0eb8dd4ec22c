"""key_results.forecast: each key result's forecast fit {value, low, high, as_of}, written
by the check-in writes so that reads and the dashboard take it with the row; and
key_results.carried_from_id, the key result a carried-over one continues (§9)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 02:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forecast', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('carried_from_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.drop_column('carried_from_id')
        batch_op.drop_column('forecast')
