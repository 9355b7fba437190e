"""bounded work: the staff audit log (a city rejected as spam is recorded there)

Revision ID: 0004
Revises: 0006
Create Date: 2026-12-02 16:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('city_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_city_id'), ['city_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_city_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
    op.drop_table('audit_event')
