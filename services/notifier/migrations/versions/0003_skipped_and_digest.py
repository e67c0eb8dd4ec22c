"""deliveries.reason (why a row is `skipped`: up_to_date | weekly_cap), nudge_turns (the
weekly cap's decisions take turns), and what the team
digest's sentences need on activity: a check-in's value and confidence, a feedback's kind
and whether it was resolved (§9 "Fewer, smarter nudges", "Summaries")

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 03:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=32), nullable=True))
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('confidence', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('detail', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('resolved', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('nudge_turns',
                    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('turns', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_nudge_turns')))


def downgrade() -> None:
    op.drop_table('nudge_turns')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_column('resolved')
        batch_op.drop_column('detail')
        batch_op.drop_column('confidence')
        batch_op.drop_column('value')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('reason')
