"""programme milestones, case studies and per-data-point verification

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 15:14:02.692762

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_study',
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('assigned', 'draft', 'review', 'published', name='casestudystatus', native_enum=False, length=32), nullable=False),
    sa.Column('writer_name', sa.String(length=200), nullable=False),
    sa.Column('writer_email', sa.String(length=254), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_case_study_city_id_city'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_case_study_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('city_id', name=op.f('pk_case_study'))
    )
    op.create_table('milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('fee_invoiced', 'fee_paid', 'certificate_issued', 'award_nominated', name='milestonekind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('done', 'skipped', name='milestonestatus', native_enum=False, length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('reference', sa.String(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_milestone_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_milestone_city_id_city'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone')),
    sa.UniqueConstraint('city_id', 'kind', name=op.f('uq_milestone_city_id_kind'))
    )
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_city_id'), ['city_id'], unique=False)
    op.create_table('data_point_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('data_point_id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('checked_text', sa.Text(), nullable=False),
    sa.Column('checked_not_available', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('verifier_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_data_point_check_city_id_city'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verifier_id'], ['user_account.id'], name=op.f('fk_data_point_check_verifier_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_point_check')),
    sa.UniqueConstraint('city_id', 'data_point_id', name=op.f('uq_data_point_check_city_id_data_point_id'))
    )
    with op.batch_alter_table('data_point_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_point_check_city_id'), ['city_id'], unique=False)


def downgrade():
    with op.batch_alter_table('data_point_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_point_check_city_id'))

    op.drop_table('data_point_check')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_city_id'))

    op.drop_table('milestone')
    op.drop_table('case_study')
