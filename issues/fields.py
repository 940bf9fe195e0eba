from django.db import models


class RankField(models.CharField):
    """A rank key compared bytewise: on PostgreSQL the column gets COLLATE "C".

    SQLite's default BINARY collation already compares bytes, so only PostgreSQL needs it, and
    the migration stays the same on both.
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
