"""notification outbox, contact methods and quiet hours

`notification` is the outbox: a row per message, written in the transaction of its event and
delivered by the scheduler (pending → sending → sent | failed → dead); `contact_method` holds
each person's addresses per channel (a webhook with its HMAC key); `notify_preference` their
quiet hours and time zone.

Revision ID: e2b3c4d5f6a7
Revises: e1a2b3c4d5f6
Create Date: 2026-12-03 18:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e2b3c4d5f6a7'
down_revision = 'e1a2b3c4d5f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contact_method",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("channel in ('email', 'webhook', 'telegram')", name=op.f("ck_contact_method_channel")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_contact_method_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_method")),
    )
    with op.batch_alter_table("contact_method") as batch:
        batch.create_index(batch.f("ix_contact_method_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notify_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("quiet_start", sa.Time(), nullable=True),
        sa.Column("quiet_end", sa.Time(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_notify_preference_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notify_preference")),
    )

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("contact_method_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("digest_key", sa.String(length=200), nullable=True),
        sa.Column("ack_used_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status in ('pending', 'sending', 'sent', 'failed', 'dead')",
                           name=op.f("ck_notification_status")),
        sa.CheckConstraint("channel in ('email', 'webhook', 'telegram')", name=op.f("ck_notification_channel")),
        sa.ForeignKeyConstraint(["contact_method_id"], ["contact_method.id"],
                                name=op.f("fk_notification_contact_method_id_contact_method"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], name=op.f("fk_notification_incident_id_incident"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification") as batch:
        batch.create_index(batch.f("ix_notification_incident_id"), ["incident_id"], unique=False)
        batch.create_index("ix_notification_status_next_attempt_at", ["status", "next_attempt_at"], unique=False)
        batch.create_index("ix_notification_digest", ["user_id", "channel", "digest_key"], unique=False)


def downgrade():
    with op.batch_alter_table("notification") as batch:
        batch.drop_index("ix_notification_digest")
        batch.drop_index("ix_notification_status_next_attempt_at")
        batch.drop_index(batch.f("ix_notification_incident_id"))
    op.drop_table("notification")
    op.drop_table("notify_preference")
    with op.batch_alter_table("contact_method") as batch:
        batch.drop_index(batch.f("ix_contact_method_user_id"))
    op.drop_table("contact_method")
