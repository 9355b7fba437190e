"""data origin per value; the pipeline's milestone columns (fee, signed letter, recognition)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:45:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

MILESTONE_COLUMNS = (
    ('fee_invoiced_on', 'fee_invoiced'),
    ('fee_paid_on', 'fee_paid'),
    ('certificate_issued_on', 'certificate_issued'),
    ('award_nominated_on', 'award_nominated'),
)


def upgrade():
    with op.batch_alter_table('data_value', schema=None) as batch_op:
        # Nullable: values saved before origins were asked keep none.
        batch_op.add_column(sa.Column('origin', sa.String(length=40), nullable=True))
    with op.batch_alter_table('city_summary', schema=None) as batch_op:
        for column, _kind in MILESTONE_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('signed_letter_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('city_summary', schema=None) as batch_op:
        for column in ('fee_invoiced_on', 'fee_paid_on', 'signed_letter_at',
                       'certificate_issued_on', 'award_nominated_on'):
            batch_op.create_index(f'ix_city_summary_{column}', [column], unique=False)
    # Existing summaries: the milestones done and the latest letter's signed scan.
    for column, kind in MILESTONE_COLUMNS:
        op.execute(sa.text(
            f"UPDATE city_summary SET {column} = (SELECT milestone.occurred_on FROM milestone "
            "WHERE milestone.city_id = city_summary.city_id AND milestone.kind = :kind "
            "AND milestone.status = 'done')").bindparams(kind=kind))
    op.execute(
        "UPDATE city_summary SET signed_letter_at = (SELECT letter.signed_at FROM letter "
        "WHERE letter.city_id = city_summary.city_id "
        "ORDER BY letter.created_at DESC, letter.id DESC LIMIT 1)")


def downgrade():
    with op.batch_alter_table('city_summary', schema=None) as batch_op:
        for column in ('fee_invoiced_on', 'fee_paid_on', 'signed_letter_at',
                       'certificate_issued_on', 'award_nominated_on'):
            batch_op.drop_index(f'ix_city_summary_{column}')
            batch_op.drop_column(column)
    with op.batch_alter_table('data_value', schema=None) as batch_op:
        batch_op.drop_column('origin')
