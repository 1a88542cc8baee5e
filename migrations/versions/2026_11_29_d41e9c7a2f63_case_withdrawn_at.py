"""A withdrawn case records when it was withdrawn, so the call's figures as of an earlier date still count it

Cases withdrawn before this revision keep withdrawn_at NULL: the figures treat them as withdrawn at any date.

Revision ID: d41e9c7a2f63
Revises: b7d2c4e81a05
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41e9c7a2f63'
down_revision = 'b7d2c4e81a05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('case_submission', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
