"""The call for case studies names the programme activity it belongs to (as the handbook does)

Revision ID: b7d2c4e81a05
Revises: 3c8e1f2a9b40
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2c4e81a05'
down_revision = '3c8e1f2a9b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_ref', sa.String(length=20), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('case_call', schema=None) as batch_op:
        batch_op.drop_column('activity_ref')
