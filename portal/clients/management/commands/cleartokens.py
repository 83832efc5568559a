"""DOT's `cleartokens`, plus forgetting the codes exchanged more than a day ago (replay detection's memory).

The portal app comes before oauth2_provider in INSTALLED_APPS, so this command is the one `manage.py
cleartokens` runs: the daily schedule the README documents covers both, and the token endpoint does no
cleanup of its own on each exchange.
"""

from oauth2_provider.management.commands.cleartokens import Command as DOTCommand

from portal.clients import protocol_events


class Command(DOTCommand):
    help = DOTCommand.help + ", and the records of authorization codes exchanged over a day ago"

    def handle(self, *args, **options):
        super().handle(*args, **options)
        forgotten = protocol_events.exchanged_codes_forget()
        if options["verbosity"] >= 2:
            self.stdout.write(f"Forgot {forgotten} exchanged authorization code(s).")
