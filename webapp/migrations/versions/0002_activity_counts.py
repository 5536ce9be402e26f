"""activity counts per run and status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('task_activity_counts',
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['task_runs.id'], name=op.f('fk_task_activity_counts_run_id_task_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'status', name=op.f('pk_task_activity_counts'))
    )


def downgrade() -> None:
    op.drop_table('task_activity_counts')
