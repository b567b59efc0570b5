"""Alembic's environment for the SQL store, run from code only (rollout.stores.sqlschema.upgrade).

The caller hands over an open connection, inside the transaction that holds the schema lock; the
migrations run in it and the caller commits. Offline mode (SQL text, for a DBA) needs only the URL.
"""

from alembic import context

config = context.config
connection = config.attributes.get("connection")

if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
else:
    context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
