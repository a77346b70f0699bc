"""gunicorn's threaded worker, except that a worker whose threads are all busy stops accepting.

`make serve` runs ``--worker-class course.server.worker.ThreadWorker``. The stock gthread worker
stops accepting only at ``--worker-connections``, which also counts idle kept-alive connections.
Set that to the thread count and keep-alive is impossible (every request pays a new connection;
lesson p99 at 16 connections was 73-110 ms, against 46 ms with keep-alive). Set it higher and a
worker whose threads are all running learners' functions (each takes seconds) still accepts a
page, which then waits in its queue for one of them to finish: measured, 1.7-2.0 s.

So the limit here is on requests in flight, not connections: accepted or woken connections
count from the moment they are handed to the thread pool until their request is finished, and
while they fill every thread the listening socket is left to the other workers. Idle kept-alive
connections cost nothing. Both counters move on the worker's main thread, so no lock is needed.
"""

from __future__ import annotations

from gunicorn.workers import gthread


class ThreadWorker(gthread.ThreadWorker):
    in_flight = 0  # requests handed to the thread pool and not yet finished

    def enqueue_req(self, conn) -> None:
        self.in_flight += 1
        super().enqueue_req(conn)

    def finish_request(self, conn, fs) -> None:
        self.in_flight -= 1
        super().finish_request(conn, fs)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # run() has just enabled or disabled accepting by the connection count; never accept
        # while every thread has work, whatever that count says.
        if self.in_flight >= self.cfg.threads and self._accepting:
            self.set_accept_enabled(False)
        super().wait_for_and_dispatch_events(timeout)
