"""Apps registered for the device grant sign ID tokens (RS256), as apps with a browser sign-in always did.

The device grant now gives an ID token when the person approves `openid` (portal.clients.oidc_server), and
Application.set_grant_types gives such apps RS256 from now on; this does the same for the device apps
registered before, which had no ID-token algorithm: without one, signing their ID token would fail (it
already failed when they refreshed a token carrying `openid`). Only apps with no algorithm change: one an
operator chose stays.
"""

from django.db import migrations

DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"


def device_apps_sign_with_rs256(apps, schema_editor):
    Application = apps.get_model("clients", "Application")
    # The portal's list and DOT's single field (an app made by createapplication or adopted has only that).
    # JSON containment is not a lookup SQLite has, so the list is checked here.
    unsigned = Application.objects.filter(algorithm="").only("pk", "grant_types", "authorization_grant_type")
    device_apps = [
        app.pk
        for app in unsigned.iterator()
        if DEVICE_CODE in (app.grant_types or []) or app.authorization_grant_type == DEVICE_CODE
    ]
    Application.objects.filter(pk__in=device_apps).update(algorithm="RS256")


class Migration(migrations.Migration):
    dependencies = [("clients", "0010_accesstoken_application_created_index")]

    operations = [migrations.RunPython(device_apps_sign_with_rs256, migrations.RunPython.noop)]
