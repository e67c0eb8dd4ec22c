"""feedback.version and feedback.field_versions: a retro (and a feedback body) is written by
several people, so each write carries the version it saw and is merged (text) or refused
(409) when a field it changes moved after that version, like okr's objectives

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 02:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.add_column(sa.Column('field_versions', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('field_versions')
        batch_op.drop_column('version')
