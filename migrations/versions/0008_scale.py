"""scale: per-city summary row for paged, sorted lists; indexes the lists and snapshot use

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02 15:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'city_summary',
        sa.Column('city_id', sa.Integer(), nullable=False),
        sa.Column('stage_entered_at', sa.DateTime(), nullable=False),
        sa.Column('last_activity_at', sa.DateTime(), nullable=False),
        sa.Column('complete_categories', sa.Integer(), nullable=False),
        sa.Column('score_percent', sa.Float(), nullable=True),
        sa.Column('score_band', sa.Integer(), nullable=True),
        sa.Column('verifier_key', sa.String(length=200), nullable=False),
        sa.Column('search_key', sa.String(length=200), nullable=False),
        sa.Column('name_key', sa.String(length=210), nullable=False),
        sa.Column('email_key', sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(['city_id'], ['city.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('city_id'),
    )
    for column in ('stage_entered_at', 'last_activity_at', 'complete_categories',
                   'score_percent', 'verifier_key', 'name_key', 'email_key'):
        op.create_index(f'ix_city_summary_{column}', 'city_summary', [column])
    # ix_city_country comes with 0005 (duplicate checks by country).
    op.create_index('ix_city_name', 'city', ['name'])
    op.create_index('ix_city_stage', 'city', ['stage'])
    op.create_index('ix_stage_change_city_at', 'stage_change', ['city_id', 'at'])
    op.create_index('ix_letter_created_at', 'letter', ['created_at'])
    op.create_index('ix_category_score_city_category', 'category_score',
                    ['city_id', 'category_id', 'computed_at'])
    op.create_index('ix_job_key_pattern', 'job', ['key'],
                    postgresql_ops={'key': 'varchar_pattern_ops'})
    # Cities that exist already get their row from the same code that keeps it current.
    from intake.services.summaries import refresh

    refresh(op.get_bind())


def downgrade():
    op.drop_index('ix_job_key_pattern', table_name='job')
    op.drop_index('ix_category_score_city_category', table_name='category_score')
    op.drop_index('ix_letter_created_at', table_name='letter')
    op.drop_index('ix_stage_change_city_at', table_name='stage_change')
    op.drop_index('ix_city_stage', table_name='city')
    op.drop_index('ix_city_name', table_name='city')
    op.drop_table('city_summary')
