"""alerts and alert groups

`alert` stores every canonical alert once (`dedup_key` unique: the intake inserts or ignores),
with the playbook that took it, the decision in short and the incident it went to;
`alert_group` is the state of a playbook's group (its incident, its last alert, which alerts
still fire), locked by the intake while it decides to join or open.

Revision ID: b3d7f1a9c2e6
Revises: 9a1c4e7b2d50
Create Date: 2026-12-03 15:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3d7f1a9c2e6'
down_revision = '9a1c4e7b2d50'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("server_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("playbook_id", sa.String(length=64), nullable=True),
        sa.Column("playbook_version", sa.String(length=64), nullable=True),
        sa.Column("route", sa.JSON(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("severity in ('info', 'low', 'medium', 'high', 'critical')",
                           name=op.f("ck_alert_severity")),
        sa.CheckConstraint("status in ('firing', 'resolved')", name=op.f("ck_alert_status")),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_alert_agency_id_agency")),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_alert_incident_id_incident"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reporter_id"], ["user_account.id"],
                                name=op.f("fk_alert_reporter_id_user_account")),
        sa.ForeignKeyConstraint(["server_id"], ["server.id"], name=op.f("fk_alert_server_id_server"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        sa.UniqueConstraint("dedup_key", name="uq_alert_dedup_key"),
    )
    with op.batch_alter_table("alert") as batch:
        batch.create_index("ix_alert_fingerprint", ["fingerprint"], unique=False)
        batch.create_index("ix_alert_received_at_id", ["received_at", "id"], unique=False)
        batch.create_index("ix_alert_source_id", ["source", "id"], unique=False)
        batch.create_index("ix_alert_severity_id", ["severity", "id"], unique=False)
        batch.create_index("ix_alert_status_id", ["status", "id"], unique=False)
        batch.create_index("ix_alert_incident_id_id", ["incident_id", "id"], unique=False)
        batch.create_index("ix_alert_agency_id_id", ["agency_id", "id"], unique=False)

    op.create_table(
        "alert_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("firing", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_alert_group_incident_id_incident"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_group")),
        sa.UniqueConstraint("playbook_id", "group_key", name="uq_alert_group_playbook_key"),
    )
    with op.batch_alter_table("alert_group") as batch:
        batch.create_index("ix_alert_group_incident_id", ["incident_id"], unique=False)


def downgrade():
    with op.batch_alter_table("alert_group") as batch:
        batch.drop_index("ix_alert_group_incident_id")
    op.drop_table("alert_group")
    with op.batch_alter_table("alert") as batch:
        for name in ("ix_alert_agency_id_id", "ix_alert_incident_id_id", "ix_alert_status_id", "ix_alert_severity_id",
                     "ix_alert_source_id", "ix_alert_received_at_id", "ix_alert_fingerprint"):
            batch.drop_index(name)
    op.drop_table("alert")
