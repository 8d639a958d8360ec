"""seed the rules of the 2017 and 2026 regimes

The rows of DOMAIN.md §6 (reporting deadlines) and §3 (assessment interval per level) for the
2017 regime (Circular 20/2017/TT-BTTTT, 1/11/2017 to 19/8/2026) and the 2026 regime (Law
116/2025/QH15, Decree 331/2026/NĐ-CP, from 19/8/2026). The rows themselves live in
`csirt.rules.seed` (frozen), which the test suite inserts the same way. Downgrade deletes every
row of the seeded (regime, key) pairs, including versions an admin added after.

Revision ID: 7b2e9c4d1a30
Revises: 5fa310a172b3
Create Date: 2026-12-03 12:30:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from csirt.rules import seed


# revision identifiers, used by Alembic.
revision = '7b2e9c4d1a30'
down_revision = '5fa310a172b3'
branch_labels = None
depends_on = None


# the table as this revision knows it (not the model, which may change later)
rule = sa.table(
    'rule',
    sa.column('id', sa.Integer),
    sa.column('regime', sa.String),
    sa.column('key', sa.String),
    sa.column('level', sa.Integer),
    sa.column('value', sa.String),
    sa.column('unit', sa.String),
    sa.column('legal_reference', sa.String),
    sa.column('effective_from', sa.Date),
    sa.column('effective_to', sa.Date),
    sa.column('confirmed', sa.Boolean),
    sa.column('notes', sa.Text),
    sa.column('updated_at', sa.DateTime),
    sa.column('version', sa.Integer),
)


def upgrade():
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.bulk_insert(rule, seed.rows(now))


def downgrade():
    for regime, key in seed.seeded_pairs():
        op.execute(rule.delete().where(rule.c.regime == regime, rule.c.key == key))
