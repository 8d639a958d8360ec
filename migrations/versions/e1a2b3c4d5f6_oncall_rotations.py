"""on-call rotations, their layers and members, overrides and calendar feeds

`rotation` (key named by playbooks, time zone, local hand-over time, shift length, first day),
`rotation_layer` (1 = primary, 2 = secondary, ...), `rotation_member` (the cycle of a layer),
`rotation_override` (who covers a layer over a UTC period: leave, swaps) and `calendar_feed`
(secret iCalendar URLs, only the SHA-256 of the token kept).

Revision ID: e1a2b3c4d5f6
Revises: b3d7f1a9c2e6
Create Date: 2026-12-03 18:25:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5f6'
down_revision = 'b3d7f1a9c2e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('handover_time', sa.Time(), nullable=False),
    sa.Column('shift_kind', sa.String(length=10), nullable=False),
    sa.Column('shift_hours', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("shift_kind in ('daily', 'weekly', 'custom')", name=op.f('ck_rotation_shift_kind')),
    sa.CheckConstraint('shift_hours >= 1 and shift_hours <= 672', name=op.f('ck_rotation_shift_hours')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation')),
    sa.UniqueConstraint('key', name='uq_rotation_key')
    )
    op.create_table('rotation_layer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rotation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.CheckConstraint('position >= 1', name=op.f('ck_rotation_layer_position')),
    sa.ForeignKeyConstraint(['rotation_id'], ['rotation.id'], name=op.f('fk_rotation_layer_rotation_id_rotation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation_layer')),
    sa.UniqueConstraint('rotation_id', 'name', name='uq_rotation_layer_name'),
    sa.UniqueConstraint('rotation_id', 'position', name='uq_rotation_layer_position')
    )
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('rotation_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('(user_id is null) <> (rotation_id is null)', name=op.f('ck_calendar_feed_owner')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_calendar_feed_created_by_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rotation_id'], ['rotation.id'], name=op.f('fk_calendar_feed_rotation_id_rotation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_calendar_feed_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name='uq_calendar_feed_token_hash')
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_feed_rotation_id'), ['rotation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_feed_user_id'), ['user_id'], unique=False)

    op.create_table('rotation_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('layer_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['layer_id'], ['rotation_layer.id'], name=op.f('fk_rotation_member_layer_id_rotation_layer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_rotation_member_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation_member')),
    sa.UniqueConstraint('layer_id', 'position', name='uq_rotation_member_position'),
    sa.UniqueConstraint('layer_id', 'user_id', name='uq_rotation_member_user')
    )
    with op.batch_alter_table('rotation_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rotation_member_user_id'), ['user_id'], unique=False)

    op.create_table('rotation_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rotation_id', sa.Integer(), nullable=False),
    sa.Column('layer_position', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("reason in ('leave', 'swap', 'training', 'other')", name=op.f('ck_rotation_override_reason')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_rotation_override_period')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_rotation_override_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['rotation_id'], ['rotation.id'], name=op.f('fk_rotation_override_rotation_id_rotation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_rotation_override_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotation_override'))
    )
    with op.batch_alter_table('rotation_override', schema=None) as batch_op:
        batch_op.create_index('ix_rotation_override_rotation_layer_start', ['rotation_id', 'layer_position', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rotation_override_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rotation_override', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rotation_override_user_id'))
        batch_op.drop_index('ix_rotation_override_rotation_layer_start')

    op.drop_table('rotation_override')
    with op.batch_alter_table('rotation_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rotation_member_user_id'))

    op.drop_table('rotation_member')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_user_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_feed_rotation_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_feed_created_by_id'))

    op.drop_table('calendar_feed')
    op.drop_table('rotation_layer')
    op.drop_table('rotation')
