"""city team: colleagues with personal links, assignments, missing figures, who gave provenance

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('replaced_hash', sa.String(length=64), nullable=True),
    sa.Column('link_generation', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('reminders_off', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_team_member_city_id_city'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_member')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_team_member_token_hash'))
    )
    with op.batch_alter_table('team_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_member_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_member_replaced_hash'), ['replaced_hash'],
                              unique=False)

    op.create_table('team_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.String(length=80), nullable=False),
    sa.Column('kpi_code', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'],
                            name=op.f('fk_team_assignment_city_id_city'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['team_member.id'],
                            name=op.f('fk_team_assignment_member_id_team_member'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_assignment')),
    sa.UniqueConstraint('city_id', 'category_id', 'kpi_code',
                        name=op.f('uq_team_assignment_city_id_category_id_kpi_code'))
    )
    with op.batch_alter_table('team_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_assignment_city_id'), ['city_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_team_assignment_member_id'), ['member_id'],
                              unique=False)

    op.create_table('team_missing_figure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('kpi_code', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reported_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'],
                            name=op.f('fk_team_missing_figure_city_id_city'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['team_member.id'],
                            name=op.f('fk_team_missing_figure_member_id_team_member'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_missing_figure'))
    )
    with op.batch_alter_table('team_missing_figure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_missing_figure_city_id'), ['city_id'],
                              unique=False)

    op.create_table('collection_deadline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'],
                            name=op.f('fk_collection_deadline_city_id_city'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_deadline')),
    sa.UniqueConstraint('city_id', name=op.f('uq_collection_deadline_city_id'))
    )
    op.create_table('programme_setting',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_programme_setting'))
    )
    op.create_table('reminder_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'],
                            name=op.f('fk_reminder_sent_city_id_city'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sent')),
    sa.UniqueConstraint('recipient', 'kind', 'period',
                        name=op.f('uq_reminder_sent_recipient_kind_period'))
    )
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_sent_city_id'), ['city_id'], unique=False)
    op.create_table('reminder_stop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('stopped_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_stop')),
    sa.UniqueConstraint('address', name=op.f('uq_reminder_stop_address'))
    )

    with op.batch_alter_table('kpi_provenance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_by', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('kpi_provenance', schema=None) as batch_op:
        batch_op.drop_column('updated_by')
    op.drop_table('reminder_stop')
    op.drop_table('reminder_sent')
    op.drop_table('programme_setting')
    op.drop_table('collection_deadline')
    op.drop_table('team_missing_figure')
    op.drop_table('team_assignment')
    op.drop_table('team_member')
