"""login sessions expire on the server: last seen and remember-me

Revision ID: 80abc27bcdb9
Revises: 681269660eb4
Create Date: 2026-11-29 04:45:00

Sessions open before this revision count as seen at login and not remembered,
so they end by the idle and absolute limits.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '80abc27bcdb9'
down_revision = '681269660eb4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('remember', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE login_session SET last_seen_at = created_at")
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.alter_column('last_seen_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('remember')
        batch_op.drop_column('last_seen_at')
