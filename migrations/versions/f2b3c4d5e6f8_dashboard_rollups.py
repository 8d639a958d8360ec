"""the manager dashboard's rollups: incident times per month and category, alerts per day and source

`incident_time_rollup` and `alert_day_rollup` are rewritten by the scheduler's
`dashboard-rollups` job (csirt/reports/manager/rollup.py); `dashboard_rollup_state` says when, and holds the compliance summary of every system (JSON).

Revision ID: f2b3c4d5e6f8
Revises: f1a2b3c4d5e7
Create Date: 2026-12-04 17:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'f2b3c4d5e6f8'
down_revision = 'f1a2b3c4d5e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "incident_time_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("acknowledged", sa.Integer(), nullable=False),
        sa.Column("ack_median", sa.Integer(), nullable=True),
        sa.Column("ack_p90", sa.Integer(), nullable=True),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("resolve_median", sa.Integer(), nullable=True),
        sa.Column("resolve_p90", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_incident_time_rollup_agency_id_agency"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_time_rollup")),
    )
    op.create_index("ix_incident_time_rollup_agency", "incident_time_rollup", ["agency_id", "month"])
    op.create_table(
        "alert_day_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_alert_day_rollup_agency_id_agency"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_day_rollup")),
    )
    op.create_index("ix_alert_day_rollup_agency_day", "alert_day_rollup", ["agency_id", "day"])
    op.create_table(
        "dashboard_rollup_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dashboard_rollup_state")),
    )


def downgrade():
    op.drop_table("dashboard_rollup_state")
    op.drop_index("ix_alert_day_rollup_agency_day", table_name="alert_day_rollup")
    op.drop_table("alert_day_rollup")
    op.drop_index("ix_incident_time_rollup_agency", table_name="incident_time_rollup")
    op.drop_table("incident_time_rollup")
