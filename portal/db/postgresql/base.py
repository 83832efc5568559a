"""Django's PostgreSQL backend with a health check that costs no round trip.

With persistent connections (DATABASE_CONN_MAX_AGE) Django checks a connection before each request reuses
it (CONN_HEALTH_CHECKS) by sending `SELECT 1` and waiting for the answer. On the token endpoint that was
one statement in three, about 0.15 ms of the ~2.7 ms a client-credentials token costs (benchmarks/README.md).

The check here asks the socket instead. An idle connection in autocommit mode has nothing to read: the
server sends nothing unprompted unless it is going away. When PostgreSQL stops, restarts or terminates the
backend (pg_terminate_backend, idle_session_timeout), it sends its FATAL notice and closes the socket; when
the server or its host dies the kernel closes it. Either way the socket turns readable, a zero-timeout
poll sees it, and the connection is replaced before the request uses it, as after a failed `SELECT 1`.
A connection psycopg already knows to be closed or broken, or one not idle (a transaction left open), gets
Django's `SELECT 1` as before. Neither check notices a network that silently drops packets: `SELECT 1`
would hang there too.

After a request with a database error Django still runs the full `is_usable()` (`SELECT 1`) before
keeping the connection (close_if_unusable_or_obsolete), which this leaves as it is.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return super().close_if_health_check_failed()
        if not self.socket_looks_usable():
            self.close()
        self.health_check_done = True

    def socket_looks_usable(self) -> bool:
        """Whether the connection is open and idle with nothing from the server waiting to be read."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return self.is_usable()
        if not hasattr(select, "poll"):  # Windows
            return self.is_usable()
        poller = select.poll()  # not select.select: it fails on a descriptor above 1023
        poller.register(connection.fileno(), select.POLLIN)
        return not poller.poll(0)
