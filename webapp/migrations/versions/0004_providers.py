"""indexers and download clients; indexer health; the blocklist

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.base


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('indexers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('implementation', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('base_url', sa.String(length=2000), nullable=False),
    sa.Column('api_key', sa.String(length=500), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('minimum_seeders', sa.Integer(), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indexers')),
    sa.UniqueConstraint('name_key', name=op.f('uq_indexers_name_key'))
    )
    op.create_table('download_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('implementation', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('use_ssl', sa.Boolean(), nullable=False),
    sa.Column('url_base', sa.String(length=200), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=False),
    sa.Column('password', sa.String(length=500), nullable=False),
    sa.Column('api_key', sa.String(length=500), nullable=False),
    sa.Column('movie_category', sa.String(length=100), nullable=False),
    sa.Column('tv_category', sa.String(length=100), nullable=False),
    sa.Column('torrent_folder', sa.String(length=1000), nullable=False),
    sa.Column('nzb_folder', sa.String(length=1000), nullable=False),
    sa.Column('download_folder', sa.String(length=1000), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_download_clients')),
    sa.UniqueConstraint('name_key', name=op.f('uq_download_clients_name_key'))
    )
    op.create_table('indexer_status',
    sa.Column('indexer_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('resting_until', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_success_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['indexer_id'], ['indexers.id'], name=op.f('fk_indexer_status_indexer_id_indexers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('indexer_id', name=op.f('pk_indexer_status'))
    )
    op.create_table('blocklist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('movie_id', sa.Integer(), nullable=True),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('indexer', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('added_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint('(movie_id IS NULL) <> (episode_id IS NULL)', name=op.f('ck_blocklist_one_owner')),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], name=op.f('fk_blocklist_episode_id_episodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['movie_id'], ['movies.id'], name=op.f('fk_blocklist_movie_id_movies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocklist'))
    )
    with op.batch_alter_table('blocklist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blocklist_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_blocklist_movie_id'), ['movie_id'], unique=False)
        batch_op.create_index('ix_blocklist_title', ['title'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('blocklist', schema=None) as batch_op:
        batch_op.drop_index('ix_blocklist_title')
        batch_op.drop_index(batch_op.f('ix_blocklist_movie_id'))
        batch_op.drop_index(batch_op.f('ix_blocklist_episode_id'))

    op.drop_table('blocklist')
    op.drop_table('indexer_status')
    op.drop_table('download_clients')
    op.drop_table('indexers')
