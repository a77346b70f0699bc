"""Lambda-style runtime for Python. Runs INSIDE the sandbox only, as /var/runtime/bootstrap.py.

Started as ``python3 -I -S -B -u /var/runtime/bootstrap.pyc CTL GO REQUEST_ID TIMEOUT_MS LIMITS``
(precompiled by the runner with the sandbox's own interpreter, since compiling this file would
cost more than all the rest it does; the .py is the fallback). The function's code is in
/var/task/lambda_function.py, the event (marshal format, written by the runner) in
/var/runtime/event. It talks to the runner over the pipe CTL and waits on GO:

* ``B``: the bootstrap is running (the sandbox came up);
* ``R``: the handler module is imported, INIT is over; the runner marks the end of INIT's output,
  starts its clock and answers with a byte on GO, and only then is the handler called;
* one frame, ``kind`` + 8-byte big-endian length + payload: ``J`` (the result as JSON),
  ``A`` (the handler returned bytes, sent as they are) or ``E`` (an error document).

Then it waits on GO for the next invocation of a warm environment: ``N`` + 4-byte big-endian
length + payload, the payload being ``REQUEST_ID\nTIMEOUT_MS\n`` and the event in marshal
format; each gets one frame on CTL as above. EOF on GO (the runner closed it) ends the process.
Between invocations the runner freezes the whole sandbox, as Lambda does.

User code shares this process, so it can write to CTL too; the runner trusts nothing here but
the frame structure (see the threat model in sandbox.py). Startup time is part of every
invocation, so this file imports only modules the interpreter has loaded already at startup
(``posix``, not ``os``, whose import costs more than a millisecond).
"""

import marshal
import posix
import sys
import time

TASK_ROOT = "/var/task"
MODULE = "lambda_function"
HANDLER = "lambda_handler"


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[posix.write(fd, view) :]


def _send(ctl, kind, payload):
    _write_all(ctl, kind + len(payload).to_bytes(8, "big") + payload)


def _freeze():
    """After a failed INIT nothing more may run: wait until the runner kills the sandbox."""
    while True:
        time.sleep(3600)


class _Failed(Exception):
    """An invocation ended in an error document (already sent)."""


def _read_exact(go, n):
    data = b""
    while len(data) < n:
        chunk = posix.read(go, n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _next_invocation(go):
    """(request_id, timeout_ms, event) of the next warm invocation, or None at EOF."""
    head = _read_exact(go, 5)
    if head is None or head[:1] != b"N":
        return None
    payload = _read_exact(go, int.from_bytes(head[1:], "big"))
    if payload is None:
        return None
    request_id, timeout_ms, event = payload.split(b"\n", 2)
    return request_id.decode("ascii"), int(timeout_ms), marshal.loads(event)


def _apply_limits(spec):
    # Set before any user code runs; an unprivileged process can lower but never raise them.
    import resource

    names = ("NPROC", "NOFILE", "FSIZE", "CPU", "CORE", "AS")
    for name, value in zip(names, spec.split(","), strict=True):
        limit = int(value)
        if limit >= 0:
            resource.setrlimit(getattr(resource, "RLIMIT_" + name), (limit, limit))


class CognitoIdentity:
    cognito_identity_id = None
    cognito_identity_pool_id = None

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=None,cognito_identity_pool_id=None])"


def _getenv(name):
    """``os.environ.get(name)`` as Lambda's runtime reads it at each invocation (so the code's
    own changes count), without importing os if the code has not."""
    os_module = sys.modules.get("os")
    if os_module is not None:
        return os_module.environ.get(name)
    value = posix.environ.get(name.encode())
    return None if value is None else value.decode("utf-8", "surrogateescape")


class LambdaContext:
    def __init__(self, request_id, deadline_ms):
        self.aws_request_id = request_id
        self.log_group_name = _getenv("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = _getenv("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = _getenv("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = _getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = _getenv("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = "arn:aws:lambda:{}:123456789012:function:{}".format(
            _getenv("AWS_REGION"), self.function_name
        )
        self.client_context = None
        self.identity = CognitoIdentity()
        self.tenant_id = None
        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._epoch_deadline_time_in_ms - int(round(time.time() * 1000))
        return remaining if remaining > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            f"{self.__class__.__name__}([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )


class _State:
    request_id = ""


class _LoggingHook:
    """Gives the root logger Lambda's handler and format, but only if the code imports logging.

    A meta-path finder instead of ``import logging`` up front: logging is a heavy import and
    most handlers never use it.
    """

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(cls)
        spec = sys.modules["_frozen_importlib_external"].PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_configure(module):
            exec_module(module)
            _configure_logging(module)

        spec.loader.exec_module = exec_and_configure
        return spec


def _configure_logging(logging):
    class LambdaLoggerHandler(logging.Handler):
        def emit(self, record):
            sys.stdout.write(self.format(record))

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = _State.request_id
            return True

    logging.Formatter.converter = time.gmtime
    handler = LambdaLoggerHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(LambdaLoggerFilter())
    logging.getLogger().addHandler(handler)


_sources = {}


def _source_line(filename, lineno):
    if filename not in _sources:
        try:
            with open(filename, encoding="utf-8", errors="replace") as fh:
                _sources[filename] = fh.read().splitlines()
        except (OSError, ValueError):
            _sources[filename] = []
    lines = _sources[filename]
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""


def _format_traceback(tb):
    """Like ``traceback.format_list`` on Lambda's trimmed frames, without importing traceback."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    # Lambda drops the runtime's own leading frames; importlib's are noise for a learner too.
    own = _format_traceback.__code__.co_filename  # also right when run precompiled (.pyc)
    while frames and (frames[0][0] == own or frames[0][0].startswith("<frozen importlib")):
        frames.pop(0)
    trace = []
    for filename, lineno, name in frames:
        entry = f'  File "{filename}", line {lineno}, in {name}\n'
        line = _source_line(filename, lineno)
        if line:
            entry += f"    {line}\n"
        trace.append(entry)
    return trace


def _make_error(message, error_type, stack_trace):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "stackTrace": stack_trace or [],
    }


def _error_from_exception(exc):
    return _make_error(str(exc), type(exc).__name__, _format_traceback(exc.__traceback__))


def _log_error(error):
    head = "[ERROR]"
    if error["errorType"]:
        head += " " + error["errorType"]
    if error["errorMessage"]:
        head += (":" if error["errorType"] else "") + " " + error["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for entry in error["stackTrace"]:
        lines.extend(entry.splitlines())
    _write_all(1, ("\n".join(lines) + "\n").encode("utf-8", "replace"))


def _fail(ctl, error, during_init=False):
    _log_error(error)
    _send(ctl, b"E", marshal_json(error).encode("ascii"))
    if during_init:
        _freeze()
    raise _Failed


def _default(obj):
    cls = obj.__class__
    if cls.__name__ == "Decimal" and cls.__module__ == "decimal":
        return float(obj)
    raise TypeError(f"Object of type {cls.__name__} is not JSON serializable")


def marshal_json(obj):
    """``json.dumps(obj)`` via the C encoder, skipping the json package's costly imports."""
    try:
        import _json

        encode = _json.make_encoder(
            {}, _default, _json.encode_basestring_ascii, None, ":", ",", False, False, True
        )
    except (ImportError, AttributeError, TypeError):
        import json

        return json.dumps(obj, default=_default, separators=(",", ":"))
    return "".join(encode(obj, 0))


def _load_handler(ctl):
    sys.path.insert(0, TASK_ROOT)
    try:
        module = __import__(MODULE)
    except ImportError as exc:
        _fail(
            ctl,
            _make_error(
                f"Unable to import module '{MODULE}': {exc}", "Runtime.ImportModuleError", None
            ),
            during_init=True,
        )
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        _fail(
            ctl,
            _make_error(
                f"Syntax error in module '{MODULE}': {exc}", "Runtime.UserCodeSyntaxError", trace
            ),
            during_init=True,
        )
    except Exception as exc:
        _fail(ctl, _error_from_exception(exc), during_init=True)
    try:
        return getattr(module, HANDLER)
    except AttributeError:
        _fail(
            ctl,
            _make_error(
                f"Handler '{HANDLER}' missing on module '{MODULE}'", "Runtime.HandlerNotFound", None
            ),
            during_init=True,
        )


def _invoke(ctl, handler, request_id, timeout_ms, event):
    _State.request_id = request_id
    context = LambdaContext(request_id, int(round(time.time() * 1000)) + timeout_ms)
    try:
        response = handler(event, context)
    except Exception as exc:
        _fail(ctl, _error_from_exception(exc))
    if isinstance(response, (bytes, bytearray)):
        _send(ctl, b"A", bytes(response))
        return
    try:
        payload = marshal_json(response).encode("ascii")
    except Exception as exc:
        _fail(ctl, _make_error(f"Unable to marshal response: {exc}", "Runtime.MarshalError", None))
    _send(ctl, b"J", payload)


def main():
    ctl = int(sys.argv[1])
    go = int(sys.argv[2])
    request_id = sys.argv[3]
    timeout_ms = int(sys.argv[4])
    posix.write(ctl, b"B")
    _apply_limits(sys.argv[5])
    # bwrap exports PWD after --chdir; Lambda's environment has no such variable. (os.environ,
    # should the code import os, is made from posix.environ then.)
    if posix.environ.pop(b"PWD", None) is not None:
        posix.unsetenv(b"PWD")

    import builtins

    def _exit(code=None):
        raise SystemExit(code)

    # -S skips site, which is where exit() and quit() come from.
    builtins.exit = builtins.quit = _exit
    sys.meta_path.insert(0, _LoggingHook)

    handler = _load_handler(ctl)
    posix.write(ctl, b"R")
    # The result encoder's import (marshal_json) overlaps the runner's answer to R.
    try:  # noqa: SIM105 (contextlib.suppress would cost an import at every cold start)
        import _json  # noqa: F401
    except ImportError:
        pass
    posix.read(go, 1)

    with open("/var/runtime/event", "rb") as fh:
        event = marshal.load(fh)
    while True:
        try:  # noqa: SIM105 (contextlib.suppress would cost an import at every cold start)
            _invoke(ctl, handler, request_id, timeout_ms, event)
        except _Failed:
            pass  # its error document is sent; wait for the next invocation
        nxt = _next_invocation(go)
        if nxt is None:
            posix._exit(0)
        request_id, timeout_ms, event = nxt


if __name__ == "__main__":
    main()
