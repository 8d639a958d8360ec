"""playbook steps on tasks, the playbook of an incident, regulatory clocks

Incidents record the playbook (id and content hash) that opened them; tasks carry a playbook
step's key, its Markdown detail, the role expected to do it and whether it is required before the
incident closes; `incident_clock` holds the regulatory clocks a playbook (or a person) started.

Revision ID: 9a1c4e7b2d50
Revises: 8c3f0d5e2b41
Create Date: 2026-12-03 15:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9a1c4e7b2d50'
down_revision = '8c3f0d5e2b41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("playbook_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("playbook_version", sa.String(64), nullable=True))
        batch.create_index("ix_incident_playbook_id", ["playbook_id"])
    with op.batch_alter_table("incident_task") as batch:
        batch.add_column(sa.Column("step_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("detail", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("owner_role", sa.String(20), nullable=True))
        batch.add_column(sa.Column("required", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "incident_clock",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("started_by", sa.String(64), nullable=False, server_default=""),
        sa.UniqueConstraint("incident_id", "key", name="uq_incident_clock_incident_key"),
    )
    op.create_index("ix_incident_clock_due_at", "incident_clock", ["due_at"])


def downgrade():
    op.drop_index("ix_incident_clock_due_at", table_name="incident_clock")
    op.drop_table("incident_clock")
    with op.batch_alter_table("incident_task") as batch:
        batch.drop_column("required")
        batch.drop_column("owner_role")
        batch.drop_column("detail")
        batch.drop_column("step_key")
    with op.batch_alter_table("incident") as batch:
        batch.drop_index("ix_incident_playbook_id")
        batch.drop_column("playbook_version")
        batch.drop_column("playbook_id")
