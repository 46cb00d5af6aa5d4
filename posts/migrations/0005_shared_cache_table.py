from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    """The "shared" cache (settings.CACHES) is a database table; make it with the rest of the schema."""
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("posts", "0004_job_priority")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
