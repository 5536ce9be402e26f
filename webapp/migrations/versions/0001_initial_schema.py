"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa
import webapp.models.base


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_prefix'), ['prefix'], unique=False)

    op.create_table('quality_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('cutoff_quality', sa.String(length=40), nullable=False),
    sa.Column('upgrades_allowed', sa.Boolean(), nullable=False),
    sa.Column('min_upgrade_increment', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_profiles')),
    sa.UniqueConstraint('name', name=op.f('uq_quality_profiles_name'))
    )
    op.create_table('task_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_events')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('task_events', schema=None) as batch_op:
        batch_op.create_index('ix_task_events_created_at', ['created_at'], unique=False)

    op.create_table('task_settings',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('interval', sa.Integer(), nullable=False),
    sa.Column('interval_unit', sa.String(length=8), nullable=False),
    sa.Column('last_run_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('next_run_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('last_status', sa.String(length=16), nullable=True),
    sa.Column('current_run_id', sa.String(length=40), nullable=True),
    sa.Column('queued_run_id', sa.String(length=40), nullable=True),
    sa.Column('updated_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_settings'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_login_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('wanted_subtitle_languages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('min_score', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wanted_subtitle_languages')),
    sa.UniqueConstraint('language', name=op.f('uq_wanted_subtitle_languages_language'))
    )
    op.create_table('movies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tmdb_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('monitored', sa.Boolean(), nullable=False),
    sa.Column('quality_profile_id', sa.Integer(), nullable=False),
    sa.Column('added_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_searched_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['quality_profile_id'], ['quality_profiles.id'], name=op.f('fk_movies_quality_profile_id_quality_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movies')),
    sa.UniqueConstraint('tmdb_id', name=op.f('uq_movies_tmdb_id'))
    )
    with op.batch_alter_table('movies', schema=None) as batch_op:
        batch_op.create_index('ix_movies_monitored_searched', ['monitored', 'last_searched_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_movies_quality_profile_id'), ['quality_profile_id'], unique=False)

    op.create_table('profile_qualities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('quality', sa.String(length=40), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['quality_profiles.id'], name=op.f('fk_profile_qualities_profile_id_quality_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_qualities')),
    sa.UniqueConstraint('profile_id', 'quality', name=op.f('uq_profile_qualities_profile_id'))
    )
    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tmdb_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('monitored', sa.Boolean(), nullable=False),
    sa.Column('quality_profile_id', sa.Integer(), nullable=False),
    sa.Column('added_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_refreshed_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['quality_profile_id'], ['quality_profiles.id'], name=op.f('fk_series_quality_profile_id_quality_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series')),
    sa.UniqueConstraint('tmdb_id', name=op.f('uq_series_tmdb_id'))
    )
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_quality_profile_id'), ['quality_profile_id'], unique=False)

    op.create_table('task_runs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('force', sa.Boolean(), nullable=False),
    sa.Column('options', sa.Text(), nullable=True),
    sa.Column('created_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('completed_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('duration_ms', sa.BigInteger(), nullable=True),
    sa.Column('items_processed', sa.Integer(), nullable=False),
    sa.Column('items_affected', sa.Integer(), nullable=False),
    sa.Column('items_total', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('cancel_requested_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['task_settings.id'], name=op.f('fk_task_runs_task_id_task_settings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_runs'))
    )
    with op.batch_alter_table('task_runs', schema=None) as batch_op:
        batch_op.create_index('ix_task_runs_created', ['created_at'], unique=False)
        batch_op.create_index('ix_task_runs_status_lease', ['status', 'lease_expires_at'], unique=False)
        batch_op.create_index('ix_task_runs_task_created', ['task_id', 'created_at'], unique=False)
        batch_op.create_index('ix_task_runs_task_status_created', ['task_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('uq_task_runs_one_running', ['task_id'], unique=True, sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))

    op.create_table('episodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('season_number', sa.Integer(), nullable=False),
    sa.Column('episode_number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('air_date', sa.Date(), nullable=True),
    sa.Column('monitored', sa.Boolean(), nullable=False),
    sa.Column('added_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('last_searched_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_episodes_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episodes')),
    sa.UniqueConstraint('series_id', 'season_number', 'episode_number', name=op.f('uq_episodes_series_id'))
    )
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.create_index('ix_episodes_monitored_air_date', ['monitored', 'air_date'], unique=False)

    op.create_table('task_activity',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('media_id', sa.String(length=40), nullable=True),
    sa.Column('media_title', sa.String(length=500), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('timestamp', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['task_runs.id'], name=op.f('fk_task_activity_run_id_task_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_activity'))
    )
    with op.batch_alter_table('task_activity', schema=None) as batch_op:
        batch_op.create_index('ix_task_activity_run_id', ['run_id', 'id'], unique=False)
        batch_op.create_index('ix_task_activity_run_status_id', ['run_id', 'status', 'id'], unique=False)

    op.create_table('media_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movie_id', sa.Integer(), nullable=True),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('quality', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('imported_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('subtitles_searched_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint('(movie_id IS NULL) <> (episode_id IS NULL)', name=op.f('ck_media_files_one_owner')),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], name=op.f('fk_media_files_episode_id_episodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['movie_id'], ['movies.id'], name=op.f('fk_media_files_movie_id_movies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_files'))
    )
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.create_index('ix_media_files_episode_id', ['episode_id'], unique=False)
        batch_op.create_index('ix_media_files_movie_id', ['movie_id'], unique=False)

    op.create_table('pending_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movie_id', sa.Integer(), nullable=True),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('quality', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('indexer', sa.String(length=100), nullable=True),
    sa.Column('download_url', sa.String(length=2000), nullable=True),
    sa.Column('added_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('release_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.CheckConstraint('(movie_id IS NULL) <> (episode_id IS NULL)', name=op.f('ck_pending_releases_one_owner')),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], name=op.f('fk_pending_releases_episode_id_episodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['movie_id'], ['movies.id'], name=op.f('fk_pending_releases_movie_id_movies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_releases'))
    )
    with op.batch_alter_table('pending_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_releases_episode_id'), ['episode_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_releases_movie_id'), ['movie_id'], unique=False)
        batch_op.create_index('ix_pending_releases_status_release_at', ['status', 'release_at'], unique=False)

    op.create_table('import_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_file_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('processed_at', webapp.models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['media_file_id'], ['media_files.id'], name=op.f('fk_import_queue_media_file_id_media_files'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_queue'))
    )
    with op.batch_alter_table('import_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_queue_media_file_id'), ['media_file_id'], unique=False)
        batch_op.create_index('ix_import_queue_pending', ['queued_at'], unique=False, sqlite_where=sa.text('processed_at IS NULL'), postgresql_where=sa.text('processed_at IS NULL'))

    op.create_table('subtitle_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_file_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=50), nullable=True),
    sa.Column('path', sa.String(length=1000), nullable=True),
    sa.Column('downloaded_at', webapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['media_file_id'], ['media_files.id'], name=op.f('fk_subtitle_files_media_file_id_media_files'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subtitle_files')),
    sa.UniqueConstraint('media_file_id', 'language', name=op.f('uq_subtitle_files_media_file_id'))
    )


def downgrade() -> None:
    op.drop_table('subtitle_files')
    with op.batch_alter_table('import_queue', schema=None) as batch_op:
        batch_op.drop_index('ix_import_queue_pending', sqlite_where=sa.text('processed_at IS NULL'), postgresql_where=sa.text('processed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_import_queue_media_file_id'))

    op.drop_table('import_queue')
    with op.batch_alter_table('pending_releases', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_releases_status_release_at')
        batch_op.drop_index(batch_op.f('ix_pending_releases_movie_id'))
        batch_op.drop_index(batch_op.f('ix_pending_releases_episode_id'))

    op.drop_table('pending_releases')
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index('ix_media_files_movie_id')
        batch_op.drop_index('ix_media_files_episode_id')

    op.drop_table('media_files')
    with op.batch_alter_table('task_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_task_activity_run_status_id')
        batch_op.drop_index('ix_task_activity_run_id')

    op.drop_table('task_activity')
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_index('ix_episodes_monitored_air_date')

    op.drop_table('episodes')
    with op.batch_alter_table('task_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_task_runs_one_running', sqlite_where=sa.text("status = 'running'"), postgresql_where=sa.text("status = 'running'"))
        batch_op.drop_index('ix_task_runs_task_status_created')
        batch_op.drop_index('ix_task_runs_task_created')
        batch_op.drop_index('ix_task_runs_status_lease')
        batch_op.drop_index('ix_task_runs_created')

    op.drop_table('task_runs')
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_quality_profile_id'))

    op.drop_table('series')
    op.drop_table('profile_qualities')
    with op.batch_alter_table('movies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_movies_quality_profile_id'))
        batch_op.drop_index('ix_movies_monitored_searched')

    op.drop_table('movies')
    op.drop_table('wanted_subtitle_languages')
    op.drop_table('users')
    op.drop_table('task_settings')
    with op.batch_alter_table('task_events', schema=None) as batch_op:
        batch_op.drop_index('ix_task_events_created_at')

    op.drop_table('task_events')
    op.drop_table('quality_profiles')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_prefix'))

    op.drop_table('api_keys')
