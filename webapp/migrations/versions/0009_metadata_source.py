"""the metadata source

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('metadata_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('implementation', sa.String(length=16), nullable=False),
    sa.Column('base_url', sa.String(length=2000), nullable=False),
    sa.Column('api_key', sa.String(length=500), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metadata_settings'))
    )


def downgrade() -> None:
    op.drop_table('metadata_settings')
