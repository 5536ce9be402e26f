"""subtitle providers and wanted languages

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('subtitle_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('implementation', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('base_url', sa.String(length=2000), nullable=False),
    sa.Column('api_key', sa.String(length=500), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=False),
    sa.Column('password', sa.String(length=500), nullable=False),
    sa.Column('folder', sa.String(length=1000), nullable=False),
    sa.Column('minimum_score', sa.Integer(), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subtitle_providers')),
    sa.UniqueConstraint('name_key', name=op.f('uq_subtitle_providers_name_key'))
    )
    op.create_table('subtitle_provider_status',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('downloads_remaining', sa.Integer(), nullable=True),
    sa.Column('resets_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('resting_until', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['subtitle_providers.id'], name=op.f('fk_subtitle_provider_status_provider_id_subtitle_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_subtitle_provider_status'))
    )


def downgrade() -> None:
    op.drop_table('subtitle_provider_status')
    op.drop_table('subtitle_providers')
