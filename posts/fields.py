import uuid

from django.db import models
from django.db.models import lookups


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


# UUIDField's text lookups strip the hyphens from the searched value, to match its 32-digit
# storage; ours keeps them, so use the plain ones (the admin's search by id relies on iexact).
for lookup in (
    lookups.IExact,
    lookups.Contains,
    lookups.IContains,
    lookups.StartsWith,
    lookups.IStartsWith,
    lookups.EndsWith,
    lookups.IEndsWith,
):
    HyphenatedUUIDField.register_lookup(lookup)
