"""okr_stamp retired: a write's revision bump, the stamps of its rows and COMMIT are plain
statements at the end of its closing batch (`org.service._stamp_batch`). The lock on the
cycle's revision row is still held only while MariaDB runs them, without the procedure's
REGEXP checks and PREPARE/EXECUTE inside that hold (MariaDB only)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 13:50:00
"""
import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'mysql':
        op.execute('DROP PROCEDURE IF EXISTS okr_stamp')


def downgrade() -> None:
    # The procedure as 0003 made it (version files are loaded by path, not as a package).
    spec = importlib.util.spec_from_file_location('okr_0003', Path(__file__).with_name('0003_stamp_procedure.py'))
    assert spec is not None and spec.loader is not None
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    previous.upgrade()
