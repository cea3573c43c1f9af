"""`column = ANY($1)` with one array parameter, instead of `IN ($1, ..., $n)` with one parameter per value.

Big id lists (a cycle's 5,000 key results) then cost one bound value: no per-value rendering of the SQL
text in SQLAlchemy, one statement text (and one prepared statement) whatever the list's length.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import Uuid, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement


def in_uuids(column: Any, values: Iterable[UUID]) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column == any_(bindparam(None, list(values), type_=ARRAY(Uuid())))
    return result
