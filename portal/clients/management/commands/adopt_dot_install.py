"""`python manage.py adopt_dot_install`: take over a stock django-oauth-toolkit 3.x database in place.

README "Already running django-oauth-toolkit?" (docs/adopting-dot.md) gives the steps around it. The work
itself is in portal/clients/adoption.py; this command prints the plan, and carries it out unless --dry-run.
"""

from __future__ import annotations

import io

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from portal.clients import adoption


class Command(BaseCommand):
    help = (
        "Adopt a database made by a stock django-oauth-toolkit 3.x project (DOT's built-in Application "
        "model): no row is copied, every app, secret and token keeps working."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the database and print the plan; change nothing."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=10,
            help="PostgreSQL: seconds to wait for a table lock before giving up (and changing nothing).",
        )

    def handle(self, *args, dry_run: bool, database: str, lock_timeout: int, verbosity: int, **options):
        connection = connections[database]
        try:
            plan = adoption.inspect_database(connection)
        except adoption.AdoptionRefused as exc:
            raise CommandError(f"Not adopting this database. {exc}") from exc

        self.stdout.write(
            f"This is a stock django-oauth-toolkit 3.x database ({connection.vendor}, "
            f"{connection.settings_dict['NAME']}) that the portal can adopt:"
        )
        for line in plan.describe():
            self.stdout.write(f"  {line}")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
            return

        try:
            adoption.adopt(
                connection,
                stdout=_Verbatim(self.stdout),
                verbosity=verbosity,
                lock_timeout_seconds=lock_timeout,
            )
        except adoption.AdoptionRefused as exc:
            raise CommandError(f"Not adopting this database. {exc}") from exc
        except Exception as exc:
            # Everything ran in one transaction, which has been rolled back by now.
            self.stdout.write("")  # end migrate's "Applying ..." line before the error
            raise CommandError(
                f"Adoption failed and was rolled back; the database is as it was. Cause: {exc!r}"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Adopted: {plan.application_count} apps and all their tokens are now served by the portal."
            )
        )


class _Verbatim(io.TextIOBase):
    """Hands migrate's output to this command's stdout as is (migrate ends its own lines, or not)."""

    def __init__(self, out) -> None:
        self._out = out

    def write(self, text: str) -> int:
        self._out.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self._out.flush()
