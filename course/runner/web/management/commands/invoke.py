"""Run a handler file in the Lambda sandbox, for lesson authors.

    python manage.py invoke handler.py --event '{"a": 1}' --memory 256 --runtime python --timeout 3

Prints the logs (START ... REPORT), then the result or the error as pretty JSON. Exit status 0
when the function succeeded, 3 when it failed, 1 (CommandError) for bad arguments or when the
sandbox is unavailable.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from course import runner

EXTENSIONS = {".py": "python", ".js": "nodejs", ".mjs": "nodejs", ".cjs": "nodejs"}


def parse_event(text: str | None, path: str | None) -> object:
    if text is not None and path is not None:
        raise CommandError("Give --event or --event-file, not both.")
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read the event file: {exc}") from exc
    if text is None:
        return {}
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CommandError(f"The event is not valid JSON: {exc}") from exc


def build_request(
    handler: str,
    *,
    event: object,
    memory: int,
    timeout: int,
    runtime: str | None,
    function_name: str,
    max_memory: int,
    max_timeout: int,
) -> runner.InvocationRequest:
    path = Path(handler)
    try:
        code = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {handler}: {exc}") from exc
    runtime = runtime or EXTENSIONS.get(path.suffix)
    if runtime not in runner.runtimes():
        raise CommandError(
            f"Cannot tell the runtime from {path.name!r}; pass --runtime python or nodejs."
        )
    if not 128 <= memory <= max_memory:
        raise CommandError(f"--memory must be from 128 to {max_memory} MB.")
    if not 1 <= timeout <= max_timeout:
        raise CommandError(f"--timeout must be from 1 to {max_timeout} s.")
    return runner.InvocationRequest(
        runtime=runtime,
        code=code,
        event=event,
        memory_mb=memory,
        timeout_s=timeout,
        function_name=function_name,
    )


class Command(BaseCommand):
    help = "Run a Lambda handler file once in the sandbox and print its logs and result."

    def add_arguments(self, parser):
        parser.add_argument("handler", help="handler file (.py, or .js/.mjs for Node.js)")
        parser.add_argument("--event", help="the event, as JSON (default {})")
        parser.add_argument("--event-file", help="read the event from this JSON file")
        parser.add_argument("--memory", type=int, default=128, help="memory size in MB")
        parser.add_argument("--timeout", type=int, default=3, help="timeout in seconds")
        parser.add_argument(
            "--runtime", choices=runner.RUNTIME_NAMES, help="default: from the extension"
        )
        parser.add_argument("--function-name", default="learner-function")

    def handle(self, *args, **options):
        request = build_request(
            options["handler"],
            event=parse_event(options["event"], options["event_file"]),
            memory=options["memory"],
            timeout=options["timeout"],
            runtime=options["runtime"],
            function_name=options["function_name"],
            max_memory=getattr(settings, "RUNNER_MAX_MEMORY_MB", 1024),
            max_timeout=getattr(settings, "RUNNER_MAX_TIMEOUT_S", 10),
        )
        try:
            invocation = runner.invoke(request)
        except runner.SandboxUnavailable as exc:
            raise CommandError(
                f"The sandbox is unavailable: {exc.reason} {exc.how_to_fix}"
            ) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(invocation.logs, ending="")
        if invocation.status == "succeeded":
            self.stdout.write(self.style.SUCCESS("Result:"))
            self.stdout.write(json.dumps(invocation.result, indent=2, ensure_ascii=False))
            return
        self.stdout.write(self.style.ERROR("Error:"))
        self.stdout.write(json.dumps(invocation.error, indent=2, ensure_ascii=False))
        raise SystemExit(3)
