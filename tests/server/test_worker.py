"""A gunicorn worker whose threads are all busy leaves new connections to the other workers.

Two workers of one thread each: a learner's function that runs for eight seconds fills one of
them. The stock gthread worker would still accept about half of the page requests that follow,
and each would wait for the function to end; course.server.worker.ThreadWorker stops accepting
while its threads are busy, so every page is answered at once by the other worker.
"""

import threading
import time
import urllib.request

import pytest

from course.runner import sandbox_status
from course.runner.web.views import sandbox_limits
from tests.helpers import require_tool
from tests.servers import Browser, Server, create_user, prepare, production_env

pytestmark = pytest.mark.server

PASSWORD = "a long unusual passphrase"
# Long, so that the bounds below can be generous (a loaded machine must not fail the test) and
# still tell the two workers apart: a page queued behind the function would wait ~7 s.
SLOW = "import time\ndef lambda_handler(event, context):\n    time.sleep(8)\n    return 'ok'\n"
PAGES = 8


def test_pages_go_to_the_worker_with_a_free_thread(tmp_path, collected_static):
    status = sandbox_status(sandbox_limits())
    require_tool(status.ok, f"bubblewrap sandbox unavailable: {status.reason}")
    env = production_env(tmp_path, collected_static)
    prepare(env)
    create_user(env, "learner", PASSWORD)
    server = Server(env, workers=2, threads=1).start()
    try:
        learner = Browser(server.url)
        learner.login("learner", PASSWORD)
        outcome = {}

        def run_slow_function():
            payload = {"runtime": "python", "code": SLOW, "event": {}, "timeout_s": 10}
            outcome["status"] = learner.post_json("/api/runner/invoke", payload)[0]

        started = time.monotonic()
        worker = threading.Thread(target=run_slow_function)
        worker.start()
        time.sleep(0.8)  # the function is running: one worker has no free thread
        latencies = []
        for _ in range(PAGES):
            began = time.monotonic()
            with urllib.request.urlopen(f"{server.url}/lessons/docker/", timeout=30) as page:
                assert page.status == 200
            latencies.append(time.monotonic() - began)
        finished = time.monotonic() - started
        worker.join()
        # Safety bounds, not a benchmark (make bench measures pages beside running functions).
        assert max(latencies) < 3.0, [round(x, 2) for x in latencies]
        assert finished < 7.0, "the pages did not all run while the function did: not a test"
        assert outcome["status"] == 200
    finally:
        server.stop()
