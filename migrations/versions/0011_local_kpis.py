"""local KPIs: a city's own indicators and their figures per reference year

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:50:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('local_kpi',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('formula', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('multiplier', sa.Integer(), nullable=False),
    sa.Column('numerator_label', sa.String(length=200), nullable=True),
    sa.Column('denominator_label', sa.String(length=200), nullable=True),
    sa.Column('direction', sa.String(length=20), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('target_source', sa.String(length=500), nullable=False),
    sa.Column('category_id', sa.String(length=80), nullable=True),
    sa.Column('status', sa.Enum('proposed', 'approved', 'rejected', name='localkpistatus', native_enum=False, length=32), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('proposed_by', sa.String(length=200), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('verification', sa.String(length=8), nullable=True),
    sa.Column('verification_note', sa.Text(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_local_kpi_city_id_city'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_local_kpi_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['user_account.id'], name=op.f('fk_local_kpi_verified_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_kpi'))
    )
    with op.batch_alter_table('local_kpi', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_local_kpi_city_id'), ['city_id'], unique=False)
    op.create_table('local_kpi_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('local_kpi_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('reference_year', sa.Integer(), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('direct', sa.Float(), nullable=True),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('quality_tier', sa.String(length=20), nullable=True),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_local_kpi_value_city_id_city'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['local_kpi_id'], ['local_kpi.id'], name=op.f('fk_local_kpi_value_local_kpi_id_local_kpi'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_local_kpi_value')),
    sa.UniqueConstraint('local_kpi_id', 'reference_year', name=op.f('uq_local_kpi_value_local_kpi_id_reference_year'))
    )
    with op.batch_alter_table('local_kpi_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_local_kpi_value_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_local_kpi_value_local_kpi_id'), ['local_kpi_id'], unique=False)


def downgrade():
    with op.batch_alter_table('local_kpi_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_local_kpi_value_local_kpi_id'))
        batch_op.drop_index(batch_op.f('ix_local_kpi_value_city_id'))
    op.drop_table('local_kpi_value')
    with op.batch_alter_table('local_kpi', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_local_kpi_city_id'))
    op.drop_table('local_kpi')
