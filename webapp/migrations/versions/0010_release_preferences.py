"""preferred, ignored and required words, and release-group scores

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('release_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('term', sa.String(length=100), nullable=False),
    sa.Column('term_key', sa.String(length=400), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_preferences')),
    sa.UniqueConstraint('kind', 'term_key', name=op.f('uq_release_preferences_kind'))
    )


def downgrade() -> None:
    op.drop_table('release_preferences')
