"""first hour: confirmed focal point address, signed letter upload, possible duplicates

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02 15:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_city_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_city_focal_point_email'), ['focal_point_email'],
                              unique=False)
    # Cities registered before confirmation existed keep receiving their e-mails.
    city = sa.table('city', sa.column('email_confirmed_at', sa.DateTime),
                    sa.column('created_at', sa.DateTime))
    op.execute(city.update().values(email_confirmed_at=city.c.created_at))

    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('signed_stored_name', sa.String(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('signed_content_type', sa.String(length=100),
                                      nullable=True))
        batch_op.add_column(sa.Column('signed_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('signed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('signed_acknowledged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('signed_acknowledged_by_id', sa.Integer(),
                                      nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_letter_signed_acknowledged_by_id_user_account'), 'user_account',
            ['signed_acknowledged_by_id'], ['id'], ondelete='SET NULL')

    op.create_table(
        'possible_duplicate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('city_id', sa.Integer(), nullable=False),
        sa.Column('original_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('resolution', sa.String(length=20), nullable=True),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['city_id'], ['city.id'],
                                name=op.f('fk_possible_duplicate_city_id_city'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['original_id'], ['city.id'],
                                name=op.f('fk_possible_duplicate_original_id_city'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['user_account.id'],
                                name=op.f('fk_possible_duplicate_resolved_by_id_user_account'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_possible_duplicate')),
        sa.UniqueConstraint('city_id', 'original_id',
                            name=op.f('uq_possible_duplicate_city_id_original_id')),
    )
    with op.batch_alter_table('possible_duplicate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_possible_duplicate_city_id'), ['city_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_possible_duplicate_original_id'), ['original_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_possible_duplicate_resolution'), ['resolution'],
                              unique=False)


def downgrade():
    op.drop_table('possible_duplicate')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_letter_signed_acknowledged_by_id_user_account'),
                                 type_='foreignkey')
        for name in ('signed_acknowledged_by_id', 'signed_acknowledged_at', 'signed_at',
                     'signed_size', 'signed_content_type', 'signed_stored_name',
                     'signed_name'):
            batch_op.drop_column(name)
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_focal_point_email'))
        batch_op.drop_index(batch_op.f('ix_city_country'))
        batch_op.drop_column('email_confirmed_at')
