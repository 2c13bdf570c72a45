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


# The SQL function each construct is on each database.
_SQL_NAMES = {
    json_rows: {"postgresql": "json_agg", "sqlite": "json_group_array"},
    json_fields: {"postgresql": "json_build_object", "sqlite": "json_object"},
}


def _rendered_as(sql_name: str):
    def render(element, compiler, **kw):
        return f"{sql_name}({compiler.process(element.clauses, **kw)})"

    return render


for _construct, _names in _SQL_NAMES.items():
    for _dialect, _sql_name in _names.items():
        compiles(_construct, _dialect)(_rendered_as(_sql_name))
