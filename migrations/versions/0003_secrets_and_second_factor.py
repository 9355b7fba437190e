"""secrets and second factor: hashed staff sessions, sign-in lockout, TOTP

Disabled accounts' API tokens are revoked, so enabling an account again does not revive them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 15:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_staff_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_session_token_hash'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_user_id'), ['user_id'], unique=False)

    # The clear session tokens go: every staff member signs in again once.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_account_session_token', type_='unique')
        batch_op.drop_column('session_token')
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    # A disabled account's tokens were only refused while it stayed disabled; they are
    # revoked now, so enabling the account again does not bring them back.
    user = sa.table('user_account', sa.column('id', sa.Integer), sa.column('active', sa.Boolean))
    token = sa.table('api_token', sa.column('user_id', sa.Integer),
                     sa.column('revoked', sa.Boolean))
    op.execute(token.update().where(token.c.user_id.in_(
        sa.select(user.c.id).where(user.c.active == sa.false()))).values(revoked=True))


def downgrade():
    import secrets

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    user = sa.table('user_account', sa.column('id', sa.Integer),
                    sa.column('session_token', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(user.update().where(user.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64),
                              nullable=False)
        batch_op.create_unique_constraint('uq_user_account_session_token', ['session_token'])

    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_user_id'))
    op.drop_table('staff_session')
