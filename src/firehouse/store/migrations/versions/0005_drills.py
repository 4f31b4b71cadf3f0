"""Drills: a practice incident's run (its scenario frozen as it started, the injects sent, the readiness
report), whether an incident is a drill, and when a person took the fire captain role.

Existing incidents are no drills (a server default), and their captain took the role when they declared it:
`captain_at` is filled from `declared_at`, so time to captain reads as it did before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:02:08.421834
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drill',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('scenario', sa.String(length=60), nullable=False),
    sa.Column('script', sa.JSON(), nullable=False),
    sa.Column('started_by', sa.String(length=40), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('injects_sent', sa.Integer(), nullable=False),
    sa.Column('ended_by', sa.String(length=40), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('drill', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drill_incident_id'), ['incident_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_drill_scenario'), ['scenario'], unique=False)

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drill', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('captain_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_incident_drill'), ['drill'], unique=False)

    incident = sa.table('incident', sa.column('declared_at', sa.DateTime(timezone=True)),
                        sa.column('captain_at', sa.DateTime(timezone=True)))
    op.get_bind().execute(incident.update().values(captain_at=incident.c.declared_at))


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_drill'))
        batch_op.drop_column('captain_at')
        batch_op.drop_column('drill')

    with op.batch_alter_table('drill', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drill_scenario'))
        batch_op.drop_index(batch_op.f('ix_drill_incident_id'))

    op.drop_table('drill')
