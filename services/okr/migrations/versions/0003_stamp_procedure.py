"""okr_stamp: a write's revision bump, the stamp of its rows and its COMMIT in one call, so
the cycle's hot `cycle_revisions` row is locked only while MariaDB runs those statements,
not across three round trips and okr's event loop (MariaDB only; SQLite keeps the
statements)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:05:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# p_objectives and p_key_results are ids separated by commas ('' for none); p_commit ends
# the transaction. The UPDATEs are prepared with the ids inline (checked to be a list of
# numbers first) so they read the primary key only, as `WHERE id IN (...)` from okr did:
# a join the optimiser might turn into a scan would lock rows other writers hold.
CREATE = """
CREATE PROCEDURE okr_stamp(IN p_cycle VARCHAR(7), IN p_objectives TEXT, IN p_key_results TEXT, IN p_commit TINYINT)
MODIFIES SQL DATA
BEGIN
  DECLARE new_revision BIGINT;
  IF p_objectives NOT REGEXP '^([0-9]+(,[0-9]+)*)?$' OR p_key_results NOT REGEXP '^([0-9]+(,[0-9]+)*)?$' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'okr_stamp: ids must be numbers separated by commas';
  END IF;
  INSERT INTO cycle_revisions (cycle, revision) VALUES (p_cycle, 1)
    ON DUPLICATE KEY UPDATE revision = revision + 1;
  SELECT revision INTO new_revision FROM cycle_revisions WHERE cycle = p_cycle;
  IF p_objectives <> '' THEN
    SET @okr_stamp_sql = CONCAT('UPDATE objectives SET rev = ', new_revision, ' WHERE id IN (', p_objectives, ')');
    PREPARE stamp_objectives FROM @okr_stamp_sql;
    EXECUTE stamp_objectives;
    DEALLOCATE PREPARE stamp_objectives;
  END IF;
  IF p_key_results <> '' THEN
    SET @okr_stamp_sql = CONCAT('UPDATE key_results SET rev = ', new_revision, ' WHERE id IN (', p_key_results, ')');
    PREPARE stamp_key_results FROM @okr_stamp_sql;
    EXECUTE stamp_key_results;
    DEALLOCATE PREPARE stamp_key_results;
  END IF;
  IF p_commit THEN
    COMMIT;
  END IF;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'mysql':
        op.execute('DROP PROCEDURE IF EXISTS okr_stamp')
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'mysql':
        op.execute('DROP PROCEDURE IF EXISTS okr_stamp')
