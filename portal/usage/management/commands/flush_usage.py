"""Move the usage counters from the shared cache into the database; prune the integration error log.

Run it every minute (README "Deploying": cron, a systemd timer or a Kubernetes CronJob). Two instances
running it at once is safe: one flushes, the other finds the lock taken and does nothing
(portal.usage.services.usage_flush explains how the counts are moved atomically).
"""

from django.core.management.base import BaseCommand

from portal.usage import services


class Command(BaseCommand):
    help = "Move usage counts from the cache into the database and prune the integration error log."

    def handle(self, *args, **options):
        result = services.usage_flush()
        pruned = services.integration_errors_prune()
        if not result.ran:
            self.stdout.write("Another flush_usage holds the lock; nothing to do.")
        elif options["verbosity"] >= 1:
            self.stdout.write(
                f"Flushed {result.events} event(s) into {result.rows} daily count(s); "
                f"pruned {pruned} old error log row(s)."
            )
