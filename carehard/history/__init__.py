"""The SQLite history of runs and their results: what every report renders from.

schema.py holds the tables and their upgrades, connection.py opens the file (read-only for what
only reads) and turns its errors into one line, store.py is the store itself, upkeep.py checks a
history before a run, sets a damaged one aside and salvages its rows.
"""

from carehard.history.schema import SCHEMA_VERSION
from carehard.history.store import History

__all__ = ["SCHEMA_VERSION", "History"]
