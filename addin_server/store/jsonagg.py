"""JSON arrays of rows inside one SELECT, on SQLite and PostgreSQL alike.

A plan read needs the plan row and the short lists hanging off it (linked threads, written
confirmations). Fetched as separate queries, each list was another round trip and another
pass through the driver, the largest cost of a plan read on PostgreSQL. These two SQL
functions let a correlated subquery hand a list back as one JSON value.
"""

from __future__ import annotations

from sqlalchemy import JSON
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class json_rows(FunctionElement):  # noqa: N801  (SQL function names are lower case)
    """An aggregate: one JSON array element per row (json_agg / json_group_array).

    PostgreSQL answers NULL, SQLite '[]', when there are no rows. Element order is not
    guaranteed; sort the parsed list.
    """

    type = JSON()
    inherit_cache = True


class json_fields(FunctionElement):  # noqa: N801
    """A JSON object from alternating key and value arguments (json_build_object / json_object)."""

    type = JSON()
    inherit_cache = True


@compiles(json_rows, "postgresql")
def _rows_postgresql(element, compiler, **kw):
    return f"json_agg({compiler.process(element.clauses, **kw)})"


@compiles(json_rows, "sqlite")
def _rows_sqlite(element, compiler, **kw):
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(json_fields, "postgresql")
def _fields_postgresql(element, compiler, **kw):
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


@compiles(json_fields, "sqlite")
def _fields_sqlite(element, compiler, **kw):
    return f"json_object({compiler.process(element.clauses, **kw)})"
