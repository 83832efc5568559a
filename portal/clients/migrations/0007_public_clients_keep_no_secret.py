"""Public clients keep no secret (issue 9, finding 10): drop the secrets stored for public apps before."""

from django.db import migrations


def drop_public_secrets(apps, schema_editor):
    Application = apps.get_model("clients", "Application")
    ClientSecret = apps.get_model("clients", "ClientSecret")
    public = Application.objects.filter(client_type="public")
    ClientSecret.objects.filter(application__in=public).delete()
    public.update(client_secret="", hash_client_secret=False)


class Migration(migrations.Migration):
    dependencies = [("clients", "0006_exchanged_authorization_code")]

    operations = [migrations.RunPython(drop_public_secrets, migrations.RunPython.noop)]
