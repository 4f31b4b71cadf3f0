"""Snapshots (frozen evidence, append-only) and firebreaks (containment pulled or recorded).

Two new tables; nothing existing changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 05:49:42.457549
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('firebreak',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('executor', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('requested_by', sa.String(length=40), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lifted_by', sa.String(length=40), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('firebreak', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firebreak_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firebreak_state'), ['state'], unique=False)

    op.create_table('snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('taken_by', sa.String(length=40), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('supersedes', sa.Integer(), nullable=True),
    sa.Column('trace_raw', sa.Text(), nullable=True),
    sa.Column('trace_source', sa.String(length=40), nullable=True),
    sa.Column('cut', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['supersedes'], ['snapshot.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshot_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_snapshot_incident_id'), ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_incident_id'))
        batch_op.drop_index(batch_op.f('ix_snapshot_fingerprint'))

    op.drop_table('snapshot')
    with op.batch_alter_table('firebreak', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firebreak_state'))
        batch_op.drop_index(batch_op.f('ix_firebreak_incident_id'))

    op.drop_table('firebreak')
