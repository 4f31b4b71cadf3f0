"""Destinations Slack takes no posts for until a person acts (`blocked_destination`), and posts given up for
good or superseded by a later one of the same kind (`outbox.given_up_at`, `outbox.superseded_by`), and when
each post was owed (`outbox.recorded_at`, empty for the posts of earlier releases) and when one Slack refused
for a moment is tried again (`outbox.next_at`). Every existing post is left as it was: one unsent stays owed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:25:57.253986
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blocked_destination',
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('probe_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('probes', sa.Integer(), nullable=False),
    sa.Column('told_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moving_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('channel')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('next_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('given_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('superseded_by', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('superseded_by')
        batch_op.drop_column('given_up_at')
        batch_op.drop_column('next_at')
        batch_op.drop_column('recorded_at')

    op.drop_table('blocked_destination')
