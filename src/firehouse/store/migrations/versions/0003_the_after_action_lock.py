"""The after-action lock: follow-up actions, eval fixtures, published postmortems, and on each incident
why it has no fixture, when it was closed and any waiver of the lock.

Existing incidents get empty texts (a server default), so a database with incidents upgrades in place.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 06:19:00.078481
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('owner', sa.String(length=40), nullable=True),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_by', sa.String(length=40), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_state'), ['state'], unique=False)

    op.create_table('postmortem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('drafted_by', sa.String(length=40), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=40), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('postmortem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postmortem_incident_id'), ['incident_id'], unique=False)

    op.create_table('fixture',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('input', sa.JSON(), nullable=False),
    sa.Column('bad_output', sa.Text(), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('rubric', sa.Text(), nullable=False),
    sa.Column('forbidden', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('fixture', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fixture_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_fixture_incident_id'), ['incident_id'], unique=False)

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_fixture_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lock_waiver', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lock_nudged_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('lock_nudged_at')
        batch_op.drop_column('lock_waiver')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('no_fixture_reason')

    with op.batch_alter_table('fixture', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fixture_incident_id'))
        batch_op.drop_index(batch_op.f('ix_fixture_created_at'))

    op.drop_table('fixture')
    with op.batch_alter_table('postmortem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postmortem_incident_id'))

    op.drop_table('postmortem')
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_state'))
        batch_op.drop_index(batch_op.f('ix_follow_up_incident_id'))

    op.drop_table('follow_up')
