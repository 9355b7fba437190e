"""letter download key: a random part of every letter's download link

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 21:20:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('download_key', sa.String(length=32), nullable=True))
    # Letters written before this revision get a key of their own (links sent earlier
    # named the id alone; they keep working through the database lookup).
    letter = sa.table('letter', sa.column('id', sa.Integer), sa.column('download_key', sa.String))
    connection = op.get_bind()
    for (letter_id,) in connection.execute(sa.select(letter.c.id)).all():
        connection.execute(letter.update().where(letter.c.id == letter_id)
                           .values(download_key=secrets.token_urlsafe(16)))
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.alter_column('download_key', existing_type=sa.String(length=32),
                              nullable=False)


def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('download_key')
