"""scheduler_job: when each periodic job last ran, shared by every scheduler process

A job runs only when it is due by its row here, so it runs once per interval across all
processes, and a standby that takes the lease over does not run again what the old holder ran.
The table starts empty: every job runs once at the first start after the upgrade.

Revision ID: 10d189e4bdca
Revises: c4e1a9d2b7f3
Create Date: 2026-12-03 08:37:46.618375

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '10d189e4bdca'
down_revision = 'c4e1a9d2b7f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_job',
    sa.Column('job_id', sa.String(length=50), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_scheduler_job'))
    )


def downgrade():
    op.drop_table('scheduler_job')
