"""audit log: the channel of each change (web, api, cli, scheduler, system) and its detail

`channel` and `via` (e.g. the API token's name and id) are filled by `record()` from now on;
entries written before stay empty and the audit page shows them without a channel.

Revision ID: c4e1a9d2b7f3
Revises: a2a44150b8c4
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a9d2b7f3'
down_revision = 'a2a44150b8c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('via', sa.String(length=120), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_channel'), ['channel'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_channel'))
        batch_op.drop_column('via')
        batch_op.drop_column('channel')
