"""The hottest reads: a Core SELECT compiled once per database and run on the DB-API cursor.

SQLAlchemy's execution path (cache key, execution context, Result objects) costs about 80 µs
per statement here, six times what SQLite takes to answer a primary-key lookup, and it ran on
every plan read. A PreparedSelect keeps the statement written in Core against the table
definitions, compiles it once per dialect, and runs it on the unit of work's own connection,
inside its transaction, converting values with the column types' own result processors.
Only plain SELECTs with scalar parameters are accepted.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # positional paramstyles: the parameter names in order
    fixed: dict[str, Any]  # literal values written in the statement (e.g. status == "open")
    binders: dict[str, Callable]  # parameter name -> the type's bind processor
    keys: tuple[str, ...]
    readers: tuple[tuple[int, Callable], ...]  # column index -> the type's result processor


class PreparedSelect:
    """One SELECT, compiled per dialect on first use."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _for(self, dialect) -> _Compiled:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = self._compile(dialect)
        return compiled

    def _compile(self, dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        binds = compiled.binds
        if any(bind.expanding for bind in binds.values()):
            raise ValueError("PreparedSelect takes scalar parameters only (no IN lists)")
        binders = {}
        for name, bind in binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binders[name] = processor
        columns = list(self.statement.selected_columns)
        readers = []
        for index, column in enumerate(columns):
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if processor is not None:
                readers.append((index, processor))
        return _Compiled(
            sql=str(compiled),
            order=tuple(compiled.positiontup) if compiled.positional else None,
            fixed={name: bind.value for name, bind in binds.items() if not bind.required},
            binders=binders,
            keys=tuple(column.key for column in columns),
            readers=tuple(readers),
        )

    def _run(self, connection: Connection, params: dict, many: bool):
        plan = self._for(connection.dialect)
        values = {**plan.fixed, **params}
        for name, processor in plan.binders.items():
            values[name] = processor(values[name])
        arguments = tuple(values[name] for name in plan.order) if plan.order else values
        dialect = connection.dialect
        cursor = connection.connection.cursor()
        try:
            cursor.execute(plan.sql, arguments)
            rows = cursor.fetchall() if many else cursor.fetchmany(1)
        except dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_error(connection, plan.sql, arguments, error) from error
        finally:
            cursor.close()
        return [self._row(plan, row) for row in rows]

    @staticmethod
    def _row(plan: _Compiled, row) -> dict:
        values = list(row)
        for index, processor in plan.readers:
            values[index] = processor(values[index])
        return dict(zip(plan.keys, values, strict=True))

    def first(self, connection: Connection, **params) -> dict | None:
        """The first row as a dict keyed by column, or None."""
        rows = self._run(connection, params, many=False)
        return rows[0] if rows else None

    def all(self, connection: Connection, **params) -> list[dict]:
        """Every row, as dicts keyed by column."""
        return self._run(connection, params, many=True)


def _as_sqlalchemy_error(connection: Connection, sql: str, arguments, error) -> DBAPIError:
    """The driver's error as SQLAlchemy would raise it; on a lost connection, the pool is
    replaced as SQLAlchemy does, so no other request gets one of its dead siblings."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, None)
    wrapped = DBAPIError.instance(sql, arguments, error, dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=dialect)
    if lost:
        connection.invalidate(wrapped)
        connection.engine.dispose(close=False)
    return wrapped
