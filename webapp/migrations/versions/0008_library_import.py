"""library root, completed downloads and import history

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('library_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('root', sa.String(length=1000), nullable=False),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_settings'))
    )
    op.create_table('import_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movie_id', sa.Integer(), nullable=True),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=600), nullable=False),
    sa.Column('source_path', sa.String(length=2000), nullable=False),
    sa.Column('destination', sa.String(length=2000), nullable=False),
    sa.Column('quality', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('replaced', sa.Boolean(), nullable=False),
    sa.Column('client', sa.String(length=100), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('download_id', sa.String(length=500), nullable=True),
    sa.Column('imported_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], name=op.f('fk_import_history_episode_id_episodes'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['movie_id'], ['movies.id'], name=op.f('fk_import_history_movie_id_movies'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_history'))
    )
    with op.batch_alter_table('import_history', schema=None) as batch_op:
        batch_op.create_index('ix_import_history_imported_at', ['imported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_history_movie_id'), ['movie_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_history_episode_id'), ['episode_id'], unique=False)
    op.create_table('completed_downloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('download_id', sa.String(length=500), nullable=False),
    sa.Column('name', sa.String(length=1000), nullable=False),
    sa.Column('path', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('claimed_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['download_clients.id'],
                            name=op.f('fk_completed_downloads_client_id_download_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_completed_downloads')),
    sa.UniqueConstraint('client_id', 'download_id', name=op.f('uq_completed_downloads_client_id'))
    )


def downgrade() -> None:
    op.drop_table('completed_downloads')
    with op.batch_alter_table('import_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_history_episode_id'))
        batch_op.drop_index(batch_op.f('ix_import_history_movie_id'))
        batch_op.drop_index('ix_import_history_imported_at')
    op.drop_table('import_history')
    op.drop_table('library_settings')
