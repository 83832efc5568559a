"""Public clients keep no secret (issue 9, finding 10): drop the secrets the portal issued to public apps.

Only apps with a portal secret record (made by the portal): the rows of an adopted DOT install stay as
they were, as adoption promises; the validator refuses any secret a public client presents either way.
"""

from django.db import migrations


def drop_public_secrets(apps, schema_editor):
    Application = apps.get_model("clients", "Application")
    ClientSecret = apps.get_model("clients", "ClientSecret")
    issued = ClientSecret.objects.filter(application__client_type="public")
    public = Application.objects.filter(pk__in=issued.values("application"))
    public.update(client_secret="", hash_client_secret=False)
    issued.delete()


class Migration(migrations.Migration):
    dependencies = [("clients", "0006_exchanged_authorization_code")]

    operations = [migrations.RunPython(drop_public_secrets, migrations.RunPython.noop)]
