"""An index on DOT's access tokens by (application, created): the developer's app list shows each app's
newest token, which without it reads every token of the app (172 ms for one with a million).

DOT's table belongs to DOT's migrations, so the index is created here by name; on PostgreSQL without
locking the table against token writes (CONCURRENTLY, outside a transaction).
"""

from django.db import migrations

INDEX = "portal_accesstoken_app_created"


def create_index(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model("oauth2_provider", "AccessToken")._meta.db_table)
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {INDEX} ON {table} (application_id, created)"
    )


def drop_index(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("clients", "0007_public_clients_keep_no_secret"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
