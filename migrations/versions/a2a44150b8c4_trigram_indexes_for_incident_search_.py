"""trigram indexes for incident search (PostgreSQL only)

The incident list searches reference, title and description with ILIKE '%...%'. On PostgreSQL,
GIN trigram indexes let that use an index (bench/README.md has the figures). pg_trgm is a trusted
extension since PostgreSQL 13, so the database owner can create it. SQLite gets nothing.

Revision ID: a2a44150b8c4
Revises: 6daefb2bf7f4
Create Date: 2026-11-23 18:33:51.344343

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a2a44150b8c4'
down_revision = '6daefb2bf7f4'
branch_labels = None
depends_on = None

COLUMNS = ("reference", "title", "description")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(f"ix_incident_{column}_trgm", "incident", [column], unique=False,
                        postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_incident_{column}_trgm", table_name="incident")
