"""DOT's `cleartokens`, plus forgetting the codes exchanged more than a day ago (replay detection's memory),
and deleting files kept for a re-authentication that was not finished within a day (portal/reauth.py).

The portal app comes before oauth2_provider in INSTALLED_APPS, so this command is the one `manage.py
cleartokens` runs: the daily schedule the README documents covers both, and the token endpoint does no
cleanup of its own on each exchange.
"""

from oauth2_provider.management.commands.cleartokens import Command as DOTCommand

from portal import reauth
from portal.clients import protocol_events


class Command(DOTCommand):
    help = (
        DOTCommand.help + ", the records of authorization codes exchanged over a day ago, and files kept "
        "over a day for an unfinished re-authentication"
    )

    def handle(self, *args, **options):
        super().handle(*args, **options)
        forgotten = protocol_events.exchanged_codes_forget()
        if options["verbosity"] >= 2:
            self.stdout.write(f"Forgot {forgotten} exchanged authorization code(s).")
        purged = reauth.kept_files_purge()
        if options["verbosity"] >= 2:
            self.stdout.write(f"Deleted {purged} file(s) kept for an unfinished re-authentication.")
