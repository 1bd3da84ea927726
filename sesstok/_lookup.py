"""Prepared one-row lookups for the per-request hot path.

The ORM spends far more time building and compiling a query than SQLite or
PostgreSQL spend running it (a ``select_related().get()`` by an indexed
column costs ~20x the query itself). A :class:`PreparedLookup` lets the ORM
compile the query once per database connection, then runs the same SQL with
a new parameter, applies the ORM's own converters to the row and builds the
instances with ``Model.from_db`` (the documented loading hook), as a
``QuerySet`` would.

The preparation checks its own assumption: the parameter it will replace
must be the one, and exactly the value, the ORM produced for the lookup
value. If not (a manager that adds filters with an equal value, a field
whose preparation it cannot reproduce), the lookup falls back to the plain
ORM query for good. Instances and query counts are the same either way;
tests compare both paths.

The compiled SQL is kept per database alias, not per connection object:
Django gives each thread its own connection object, and under ASGI it runs
each request's sync code in a new thread (asgiref's ``ThreadSensitiveContext``),
so a cache keyed by connection would compile the query on every request.
Only the converters, cheap to derive, are kept per connection.
"""

import weakref

from django.db import connections, router

__all__ = ["PreparedLookup"]

_UNSUPPORTED = object()


class PreparedLookup:
    """Fetch one row of ``build(value)`` (a ``values_list`` QuerySet that
    filters ``field`` by ``value``) and return it as a tuple, or None.

    ``model`` is the queryset's model (for the database router), ``field``
    the model field ``value`` is compared with."""

    def __init__(self, model, field, build):
        self.model = model
        self.field = field
        self.build = build
        self._prepared = {}  # alias -> (ENGINE, sql, index, params, select expressions), or _UNSUPPORTED
        self._converters = weakref.WeakKeyDictionary()  # connection -> {position: (converters, expression)}
        self.enabled = True

    def _param(self, value, connection):
        field = self.field
        return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)

    def _prepare(self, value, alias, connection):
        queryset = self.build(value).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        expected = self._param(value, connection)
        matches = [i for i, p in enumerate(params) if p == expected and type(p) is type(expected)]
        if len(matches) != 1:
            return _UNSUPPORTED
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        composite = getattr(compiler, "has_composite_fields", None)  # Django 5.2+
        if composite is not None and composite(fields):
            return _UNSUPPORTED
        return connection.settings_dict["ENGINE"], sql, matches[0], list(params), fields

    def _converters_for(self, connection, fields):
        """SQLCompiler.get_converters(fields) for this connection."""
        converters = self._converters.get(connection)
        if converters is None:
            converters = {}
            for i, expression in enumerate(fields):
                found = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
                if found:
                    converters[i] = (found, expression)
            self._converters[connection] = converters
        return converters

    def get(self, value):
        """``(row, alias)``: the row for value (converted as the ORM converts
        it) or None, and the database alias it came from."""
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        prepared = self._prepared.get(alias) if self.enabled else _UNSUPPORTED
        if prepared is None or (prepared is not _UNSUPPORTED and prepared[0] != connection.settings_dict["ENGINE"]):
            prepared = self._prepared[alias] = self._prepare(value, alias, connection)
        if prepared is _UNSUPPORTED:
            rows = list(self.build(value).using(alias)[:2])
            return (rows[0] if len(rows) == 1 else None), alias
        _, sql, index, params, fields = prepared
        params = params.copy()
        params[index] = self._param(value, connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchmany(2)
        if len(rows) != 1:
            return None, alias
        row = rows[0]
        converters = self._converters_for(connection, fields)
        if converters:  # mirrors SQLCompiler.apply_converters
            row = list(row)
            for position, (functions, expression) in converters.items():
                converted = row[position]
                for function in functions:
                    converted = function(converted, expression, connection)
                row[position] = converted
        return tuple(row), alias
