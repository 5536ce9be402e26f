"""releases grabbed, followed until their download is imported

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.base


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('grabs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movie_id', sa.Integer(), nullable=True),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('season_number', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('quality', sa.String(length=40), nullable=False),
    sa.Column('indexer', sa.String(length=100), nullable=True),
    sa.Column('client', sa.String(length=100), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('download_id', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('grabbed_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('settled_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], name=op.f('fk_grabs_episode_id_episodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['movie_id'], ['movies.id'], name=op.f('fk_grabs_movie_id_movies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_grabs_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grabs'))
    )
    with op.batch_alter_table('grabs', schema=None) as batch_op:
        batch_op.create_index('ix_grabs_client_download', ['client_id', 'download_id'], unique=False)
        batch_op.create_index('ix_grabs_series_season', ['series_id', 'season_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_grabs_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grabs_movie_id'), ['movie_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('grabs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grabs_movie_id'))
        batch_op.drop_index(batch_op.f('ix_grabs_episode_id'))
        batch_op.drop_index('ix_grabs_series_season')
        batch_op.drop_index('ix_grabs_client_download')

    op.drop_table('grabs')
