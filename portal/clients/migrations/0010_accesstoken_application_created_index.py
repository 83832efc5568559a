"""An index on DOT's access tokens by (application, created): the developer's app list shows each app's
newest token, which without it reads every token of the app (172 ms for one with a million).

DOT's table belongs to DOT's migrations, so the index is created here by name. In a transaction like every
portal migration (adopting a DOT install is all-or-nothing, portal.clients.adoption): on PostgreSQL token
writes wait while it is built, about a second per million tokens.
"""

from django.db import migrations

INDEX = "portal_accesstoken_app_created"


def create_index(apps, schema_editor):
    table = schema_editor.quote_name(apps.get_model("oauth2_provider", "AccessToken")._meta.db_table)
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} (application_id, created)")


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0009_personal_teams"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
