"""Database calls that survive lock conflicts and a restarting database server."""

import logging
import random
import time

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

# MySQL/MariaDB errors worth a quick retry: deadlock victim, lock wait timeout.
RETRYABLE_LOCK_ERRORS = {1213, 1205}
DB_RETRY_SECONDS = 30


def error_code(exc):
    args = getattr(exc.__cause__, "args", None) or exc.args
    return args[0] if args and isinstance(args[0], int) else None


def with_db_retry(fn, *, what, give_up_after=DB_RETRY_SECONDS):
    """Run a database call, retrying lock conflicts at once and lost connections with backoff."""
    deadline = time.monotonic() + give_up_after
    delay = 0.2
    while True:
        try:
            return fn()
        except (OperationalError, InterfaceError) as exc:
            if time.monotonic() >= deadline:
                raise
            if error_code(exc) in RETRYABLE_LOCK_ERRORS or "locked" in str(exc):
                logger.info("database lock conflict in %s (%s); retrying", what, exc)
                time.sleep(random.uniform(0.01, 0.1))
                continue
            logger.warning("database error in %s (%s); reconnecting in %.1f s", what, exc, delay)
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 5)


async def run_db(fn, *args, what, give_up_after=DB_RETRY_SECONDS, **kwargs):
    """Run a database call with retries in asgiref's one sync thread, so the ORM never runs on the event loop."""

    def call():
        return with_db_retry(lambda: fn(*args, **kwargs), what=what, give_up_after=give_up_after)

    return await sync_to_async(call, thread_sensitive=True)()


def close_connection():
    connection.close()
