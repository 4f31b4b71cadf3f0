"""A key for each outbox post: a UUID carried in the post's metadata, so crash recovery recognises its own
posts even in a channel other deployments (or an earlier database) post in. Row ids are unique only
within one database.

Existing rows get a fresh UUID each, written from Python so SQLite and PostgreSQL fill them alike; then
the column becomes required and unique. Posts the previous release made carry only `outbox_id` and are
no longer matched (see `slack/outbox.py`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 06:37:02.415207
"""

from __future__ import annotations

from uuid import uuid4

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=32), nullable=True))

    outbox = sa.table('outbox', sa.column('id', sa.Integer()), sa.column('key', sa.String(length=32)))
    connection = op.get_bind()
    ids = connection.execute(sa.select(outbox.c.id)).scalars().all()
    if ids:
        connection.execute(outbox.update().where(outbox.c.id == sa.bindparam('row_id')).values(key=sa.bindparam('new_key')),
                           [{'row_id': row_id, 'new_key': uuid4().hex} for row_id in ids])

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('key', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f('ix_outbox_key'), ['key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_key'))
        batch_op.drop_column('key')
