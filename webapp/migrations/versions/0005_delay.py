"""pending releases keep what a decision needs to judge them again; the delay settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pending_releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol', sa.String(length=16), server_default='torrent', nullable=False))
        batch_op.add_column(sa.Column('size_bytes', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('seeders', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('indexer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('magnet_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('published_at', webapp.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('season_pack', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('delay_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('usenet_minutes', sa.Integer(), nullable=False),
    sa.Column('torrent_minutes', sa.Integer(), nullable=False),
    sa.Column('bypass_if_highest', sa.Boolean(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delay_settings'))
    )


def downgrade() -> None:
    op.drop_table('delay_settings')
    with op.batch_alter_table('pending_releases', schema=None) as batch_op:
        batch_op.drop_column('season_pack')
        batch_op.drop_column('published_at')
        batch_op.drop_column('magnet_url')
        batch_op.drop_column('indexer_id')
        batch_op.drop_column('seeders')
        batch_op.drop_column('size_bytes')
        batch_op.drop_column('protocol')
