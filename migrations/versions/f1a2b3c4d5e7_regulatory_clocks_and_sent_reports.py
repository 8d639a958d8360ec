"""regulatory clocks on every incident: to whom each duty applies, report facts, reports sent

`rule.applies_to` says to which incidents a duty applies (every one, serious ones, those beyond the
operator's capacity, those affecting national security); the seeded rows get the values of
`csirt.rules.seed.APPLIES_TO`. `incident_facts` holds what the national forms ask once;
`sent_report` the reports sent to an authority (the first one for a duty stops its clock);
`incident_clock` records the regime applied and when the outbox was told it is close or overdue.

Revision ID: f1a2b3c4d5e7
Revises: e4d5f6a7b8c9
Create Date: 2026-12-04 17:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

from csirt.rules import seed

revision = 'f1a2b3c4d5e7'
down_revision = 'e4d5f6a7b8c9'
branch_labels = None
depends_on = None

rule = sa.table('rule', sa.column('regime', sa.String), sa.column('key', sa.String),
                sa.column('applies_to', sa.String))


def upgrade():
    with op.batch_alter_table("rule") as batch:
        batch.add_column(sa.Column("applies_to", sa.String(20), nullable=False, server_default="all"))
        batch.create_check_constraint(
            "applies_to", "applies_to in ('all', 'serious', 'beyond_capacity', 'national_security')")
    for (regime, key), applies_to in seed.APPLIES_TO.items():
        op.execute(rule.update().where(rule.c.regime == regime, rule.c.key == key).values(applies_to=applies_to))
    with op.batch_alter_table("incident_clock") as batch:
        batch.add_column(sa.Column("regime", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("warned_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("overdue_warned_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_incident_clock_open_due", ["stopped_at", "due_at"])
    op.create_table(
        "incident_facts",
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("beyond_capacity", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("national_security", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("handled_with", sa.String(16), nullable=True),
        sa.Column("damage_estimate", sa.Text(), nullable=False, server_default=""),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("handled_with is null or handled_with in ('in_house', 'domestic', 'foreign', "
                           "'coordinator')", name="handled_with"),
    )
    op.create_index("ix_incident_facts_handled_with", "incident_facts", ["handled_with"])
    op.create_table(
        "sent_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id", ondelete="CASCADE"), nullable=False),
        sa.Column("duty", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), sa.ForeignKey("evidence.id", ondelete="SET NULL"), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind in ('notice', 'initial', 'preliminary', 'update', 'closing', 'report', 'other')",
                           name="kind"),
        sa.CheckConstraint("channel in ('email', 'portal', 'post', 'fax', 'phone', 'in_person', 'other')",
                           name="channel"),
    )
    op.create_index("ix_sent_report_incident_id_sent_at", "sent_report", ["incident_id", "sent_at"])


def downgrade():
    op.drop_index("ix_sent_report_incident_id_sent_at", table_name="sent_report")
    op.drop_table("sent_report")
    op.drop_index("ix_incident_facts_handled_with", table_name="incident_facts")
    op.drop_table("incident_facts")
    with op.batch_alter_table("incident_clock") as batch:
        batch.drop_index("ix_incident_clock_open_due")
        batch.drop_column("overdue_warned_at")
        batch.drop_column("warned_at")
        batch.drop_column("regime")
    with op.batch_alter_table("rule") as batch:
        batch.drop_constraint("applies_to", type_="check")
        batch.drop_column("applies_to")
