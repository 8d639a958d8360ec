"""escalation and acknowledgement

`escalation`: one incident's escalation policy (copied from its playbook) and where it stands;
`incident.acknowledged_at` / `acknowledged_by_id`: the first acknowledgement, which stops it.

Revision ID: e3c4d5f6a7b8
Revises: e2b3c4d5f6a7
Create Date: 2026-12-03 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e3c4d5f6a7b8'
down_revision = 'e2b3c4d5f6a7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incident") as batch:
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_incident_acknowledged_by_id_user_account", "user_account",
                                 ["acknowledged_by_id"], ["id"])
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.String(length=64), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("stop_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name="fk_escalation_incident_id_incident",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_escalation"),
        sa.UniqueConstraint("incident_id", name="uq_escalation_incident_id"),
    )
    op.create_index("ix_escalation_due", "escalation", ["status", "next_at"], unique=False)


def downgrade():
    op.drop_index("ix_escalation_due", table_name="escalation")
    op.drop_table("escalation")
    with op.batch_alter_table("incident") as batch:
        batch.drop_constraint("fk_incident_acknowledged_by_id_user_account", type_="foreignkey")
        batch.drop_column("acknowledged_by_id")
        batch.drop_column("acknowledged_at")
