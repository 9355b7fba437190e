"""peer statistics stored per band, economy, catalog and benchmark version

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 19:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('peer_statistic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('band', sa.String(length=20), nullable=False),
    sa.Column('economy', sa.String(length=20), nullable=False),
    sa.Column('catalog_version', sa.String(length=60), nullable=False),
    sa.Column('benchmark_version', sa.String(length=60), nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', sa.String(length=120), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('q1', sa.Float(), nullable=True),
    sa.Column('median', sa.Float(), nullable=True),
    sa.Column('q3', sa.Float(), nullable=True),
    sa.Column('points', sa.JSON(), nullable=True),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_statistic')),
    sa.UniqueConstraint('band', 'economy', 'catalog_version', 'benchmark_version', 'subject_kind', 'subject_id', name='uq_peer_statistic_subject')
    )


def downgrade():
    op.drop_table('peer_statistic')
