import uuid

from django.db import models


class HyphenatedUUIDField(models.UUIDField):
    """A UUID stored as CHAR(36) with hyphens on every database, as the seed's tables store it.

    Django's own UUIDField stores 32 hex digits on MySQL and SQLite, so the operators' SQL
    (`WHERE post_id = '<id as the API returns it>'`) would find nothing.
    """

    def db_type(self, connection):
        return "char(36)"

    def rel_db_type(self, connection):
        return "char(36)"

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        if not isinstance(value, uuid.UUID):
            value = self.to_python(value)
        return str(value)

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value)
