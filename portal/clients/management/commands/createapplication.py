"""DOT's `createapplication`, unchanged for its users, except that the app it makes is approved.

Whoever can run management commands operates the server, so an app they create needs no staff review.
"""

from oauth2_provider.management.commands.createapplication import Command as DOTCreateApplication
from oauth2_provider.models import get_application_model


class Command(DOTCreateApplication):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        # DOT's handle() copies every option named like a model field onto the new Application.
        parser.set_defaults(review_status=get_application_model().ReviewStatus.APPROVED)
