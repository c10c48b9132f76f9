"""Django's PostgreSQL backend with a health check that asks the kernel, not the server.

With ``CONN_HEALTH_CHECKS`` Django checks a persistent connection before the first query of each
request; its check is a ``SELECT 1``: one more round trip for every request that touches the
database, the validity answer included. A connection the server has closed (a restart, a fail-over,
``pg_terminate_backend``, an idle timeout) is one whose socket has become readable while idle: the
server sent its last words (a FATAL message) and the end of the stream, and nothing else arrives
on an idle connection of this service (it never LISTENs). So the check polls the socket, without
waiting: readable, closed or broken as psycopg knows it, or left in a failed transaction (where a
``SELECT 1`` fails too) means unusable, and Django reconnects before the query. A connection cut
without a word (a host gone from the network) is found by the query itself, as it would be by
``SELECT 1``.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq

# A failed transaction left open (where a SELECT 1 would fail too), a query still running, a broken link.
_UNUSABLE = (pq.TransactionStatus.INERROR, pq.TransactionStatus.ACTIVE, pq.TransactionStatus.UNKNOWN)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status in _UNUSABLE:
            return False
        poll = select.poll()
        poll.register(pgconn.socket, select.POLLIN | select.POLLPRI)
        return not poll.poll(0)
