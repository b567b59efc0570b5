"""The store's tables: progress, its append-only history, the assurance records and the save counter.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BOOKKEEPING = ("updated_at", "updated_by")
# the database itself refuses to change or remove a history row, whoever connects
APPEND_ONLY = """
CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the history is append-only: % is not allowed on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege', HINT = 'history rows can only be added';
END
$$;
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();
"""


def _texts(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Text, nullable=False, server_default="") for name in names]


def _dates(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Date) for name in names]


def _kept() -> list[sa.Column]:
    """What every row carries besides its fields: who changed it last, its revision and the save that wrote it."""
    return [*_texts(*BOOKKEEPING), sa.Column("revision", sa.BigInteger, nullable=False),
            sa.Column("seq", sa.BigInteger, nullable=False)]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "progress",
        sa.Column("task_id", sa.Text, primary_key=True),
        *_texts("status"),
        sa.Column("percent", sa.Integer, nullable=False),
        *_texts("owner"),
        *_dates("start", "due"),
        *_texts("evidence", "notes", *BOOKKEEPING, "verified_by", "verified_at"),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "history",
        sa.Column("position", sa.BigInteger, sa.Identity(always=True), primary_key=True),  # the order rows came in
        sa.Column("seq", sa.BigInteger, nullable=False),
        *_texts("at", "by", "source", "task_id", "field", "old", "new", "recorded_at"),
    )
    op.create_index("history_seq", "history", ["seq"])
    op.create_index("history_task", "history", ["task_id", "seq"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.Text, primary_key=True),
        *_texts("clause", "result", "source"),
        *_dates("assessed_on"),
        *_texts("assessor", "evidence", "notes"),
        *_kept(),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Text, primary_key=True),
        *_texts("clauses", "source", "grade", "description", "cause", "action", "owner"),
        *_dates("due"),
        *_texts("status"),
        *_dates("closed_on"),
        *_texts("verified_by"),
        *_dates("verified_on"),
        *_kept(),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("stage", sa.Integer, nullable=False),
        *_texts("decision"),
        *_dates("decided_on"),
        *_texts("by", "conditions", "minutes"),
        *_kept(),
    )
    # one row: the last committed save; a save's UPDATE ... RETURNING takes the next number and holds
    # the row's lock until it commits, so saves take turns and numbers have no gaps
    op.create_table(
        "save_counter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="save_counter_one_row"),
    )
    op.execute("INSERT INTO save_counter (id, seq) VALUES (1, 0)")
    op.execute(APPEND_ONLY)


def downgrade() -> None:
    op.execute("DROP TRIGGER history_append_only ON history; DROP FUNCTION history_append_only()")
    for table in ("save_counter", "decisions", "findings", "assessments", "history", "progress"):
        op.drop_table(table)
