"""DOT's `createapplication`, unchanged for its users, except that the app it makes is approved, and an app
made for a user (`--user`) belongs to that user's personal team, so they manage it in the console.

Whoever can run management commands operates the server, so an app they create needs no staff review. An
app made without a user has no team: no developer manages it.
"""

from django.contrib.auth import get_user_model
from oauth2_provider.management.commands.createapplication import Command as DOTCreateApplication
from oauth2_provider.models import get_application_model

from portal.teams.services import team_personal_get_or_create


class Command(DOTCreateApplication):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        # DOT's handle() copies every option named like a model field onto the new Application.
        parser.set_defaults(review_status=get_application_model().ReviewStatus.APPROVED)

    def handle(self, *args, **options):
        super().handle(*args, **options)
        owner = (
            get_user_model().objects.filter(pk=options.get("user")).first() if options.get("user") else None
        )
        if owner is not None:
            # Gives the person's team-less apps (this one) to their personal team.
            team_personal_get_or_create(user=owner)
