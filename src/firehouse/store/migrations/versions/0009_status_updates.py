"""Status updates: each approved product notice published to the status pages, exactly as it went out, with
Statuspage's incident id and link (`status_update`), and the public status a product notice was approved under
(`notice.approved_as`, empty for notices approved before). Nothing existing changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:24:01.717018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('status_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=24), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('impact', sa.String(length=10), nullable=False),
    sa.Column('class_id', sa.String(length=40), nullable=False),
    sa.Column('component_state', sa.String(length=30), nullable=False),
    sa.Column('requested_by', sa.String(length=40), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('said', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('statuspage_id', sa.String(length=64), nullable=True),
    sa.Column('statuspage_link', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_update_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_update_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_update_public_id'), ['public_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_update_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_status_update_state'), ['state'], unique=False)
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_as', sa.String(length=20), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_column('approved_as')
    with op.batch_alter_table('status_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_update_state'))
        batch_op.drop_index(batch_op.f('ix_status_update_published_at'))
        batch_op.drop_index(batch_op.f('ix_status_update_public_id'))
        batch_op.drop_index(batch_op.f('ix_status_update_notice_id'))
        batch_op.drop_index(batch_op.f('ix_status_update_incident_id'))

    op.drop_table('status_update')
