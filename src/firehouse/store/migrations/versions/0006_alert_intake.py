"""Alert intake: each webhook delivery from Alertmanager or Grafana, stored before it is acknowledged and
processed after (`alert_delivery`); the alerts each incident knows by fingerprint and group key, so a repeat
attaches instead of opening another war room (`alert`); and the war rooms alerts opened, which storm control
counts (`alert_room`). New tables only: nothing existing changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:12:22.435311
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('fingerprint', sa.String(length=100), nullable=False),
    sa.Column('group_digest', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'source', 'fingerprint')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_group_digest'), ['group_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_incident_id'), ['incident_id'], unique=False)

    op.create_table('alert_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('alert_group', sa.JSON(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_delivery_processed_at'), ['processed_at'], unique=False)

    op.create_table('alert_room',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('storm', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('incident_id')
    )
    with op.batch_alter_table('alert_room', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_room_opened_at'), ['opened_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert_room', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_room_opened_at'))

    op.drop_table('alert_room')
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_delivery_processed_at'))

    op.drop_table('alert_delivery')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_incident_id'))
        batch_op.drop_index(batch_op.f('ix_alert_group_digest'))
        batch_op.drop_index(batch_op.f('ix_alert_fingerprint'))

    op.drop_table('alert')
