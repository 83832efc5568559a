from django.db import migrations

FIRST_TERMS = """By registering an application you agree to:

1. Ask people only for the access your application needs, and use it only for what you told them.
2. Keep your client secrets secret: never put them in a browser, a mobile app or a public repository.
3. Publish a privacy policy that says what you do with people's data, and honour it.
4. Not use the service to send spam, to deceive people or to break the law.

Staff may suspend an application that breaks these terms; its tokens then stop working at once."""


def publish_first_version(apps, schema_editor):
    # There is always a version to accept, so a new portal never lets apps in without terms.
    TermsVersion = apps.get_model("terms", "TermsVersion")
    if not TermsVersion.objects.exists():
        TermsVersion.objects.create(version="1", body=FIRST_TERMS)


class Migration(migrations.Migration):
    dependencies = [("terms", "0001_initial")]

    operations = [migrations.RunPython(publish_first_version, migrations.RunPython.noop)]
