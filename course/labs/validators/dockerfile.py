"""A Dockerfile, parsed the way BuildKit's parser reads it, then checked.

Parsing follows the Dockerfile reference: parser directives at the very top (``# escape=``,
``# syntax=``, ``# check=``), line continuations with the escape character (comment and empty
lines inside a continuation are dropped), comments, heredocs (``RUN <<EOF``), instructions in any
case, ARG before the first FROM, exec (JSON array) form and shell form.

Errors are what a build refuses; warnings follow Docker's build checks and best practices.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .base import Result

REFERENCE = "https://docs.docker.com/reference/dockerfile/"
CHECKS = "https://docs.docker.com/reference/build-checks/"
PRACTICES = "https://docs.docker.com/build/building/best-practices/"
SRC_DIRECTIVES = REFERENCE + "#parser-directives"
SRC_FORMAT = REFERENCE + "#format"
SRC_FROM = REFERENCE + "#from"
SRC_EXPOSE = REFERENCE + "#expose"
SRC_FORMS = REFERENCE + "#shell-and-exec-form"
SRC_SHELL = REFERENCE + "#shell"
SRC_HEALTHCHECK = REFERENCE + "#healthcheck"
SRC_TAG = PRACTICES + "#pin-base-image-versions"
SRC_USER = PRACTICES + "#user"
SRC_ADD = PRACTICES + "#add-or-copy"
SRC_JSON_ARGS = CHECKS + "json-args-recommended/"
SRC_MULTIPLE = CHECKS + "multiple-instructions-disallowed/"
SRC_SECRETS = CHECKS + "secrets-used-in-arg-or-env/"
SRC_MAINTAINER = CHECKS + "maintainer-deprecated/"
SRC_REFERENCE_FORMAT = REFERENCE + "#from"

INSTRUCTIONS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
DIRECTIVES = frozenset({"syntax", "escape", "check"})
ROOT_USERS = frozenset({"root", "0"})
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")
SECRET_WORDS = frozenset(
    {"password", "passwd", "pword", "secret", "token", "apikey", "credential", "credentials"}
)
SECRET_PAIRS = ("access_key", "api_key", "secret_key", "private_key", "auth_token")

_DIRECTIVE = re.compile(r"#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*?)[ \t]*")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
# [0-9]{1,9}, not \d+: Docker takes ASCII port numbers only ("٨٠" is refused), and a bounded
# length keeps int() from a 5000-digit "port" (anything over 65535 is refused below anyway).
_PORT = re.compile(r"([0-9]{1,9})(?:-([0-9]{1,9}))?(?:/(\w+))?", re.ASCII)
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
# Docker's \w is ASCII (Go regexp); Python's is Unicode unless told.
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)


@dataclass
class Instruction:
    keyword: str  # upper case
    word: str  # as written
    args: str  # everything after the keyword, continuations joined
    line: int  # 1-based first line
    column: int  # 1-based column of the keyword
    # (offset in the logical line, line, column) for each physical piece, to map offsets back
    pieces: list[tuple[int, int, int]]
    args_offset: int
    heredocs: list[str] = field(default_factory=list)

    def position(self, offset_in_args: int = 0) -> tuple[int, int]:
        offset = self.args_offset + offset_in_args
        line, column = self.line, self.column
        for start, piece_line, piece_column in self.pieces:
            if start > offset:
                break
            line, column = piece_line, piece_column + (offset - start)
        return line, column

    def tokens(self) -> Iterator[tuple[str, int]]:
        for match in re.finditer(r"\S+", self.args):
            yield match.group(0), match.start()


@dataclass
class Stage:
    index: int
    name: str | None
    base: str
    line: int
    parent: Stage | None = None
    user: str | None = None
    cmd: Any = None
    entrypoint: Any = None
    exposed: list[dict[str, Any]] = field(default_factory=list)
    cmd_count: int = 0
    entrypoint_count: int = 0

    def inherited(self, attribute: str) -> Any:
        stage: Stage | None = self
        while stage is not None:
            value = getattr(stage, attribute)
            if value is not None and value != []:
                return value
            stage = stage.parent
        return None

    def all_exposed(self) -> list[dict[str, Any]]:
        ports: list[dict[str, Any]] = []
        stage: Stage | None = self
        while stage is not None:
            ports = stage.exposed + ports
            stage = stage.parent
        return ports


class _Parse:
    def __init__(self, text: str, result: Result) -> None:
        self.text = text
        self.result = result
        self.lines = [line.removesuffix("\r") for line in text.split("\n")]
        self.escape = "\\"
        self.instructions: list[Instruction] = []

    def run(self) -> list[Instruction]:
        start = self._directives()
        self._instructions(start)
        return self.instructions

    def _directives(self) -> int:
        seen: set[str] = set()
        for index, line in enumerate(self.lines):
            match = _DIRECTIVE.fullmatch(line)
            if not match or match.group(1).lower() not in DIRECTIVES:
                return index
            name, value = match.group(1).lower(), match.group(2)
            if name in seen:
                self.result.error(
                    f"only one {name} parser directive can be used",
                    (index + 1, 1),
                    SRC_DIRECTIVES,
                )
            seen.add(name)
            if name == "escape":
                if value not in ("\\", "`"):
                    self.result.error(
                        f"invalid escape token '{value}' does not match ^[\\\\`]$",
                        (index + 1, line.index("=") + 2),
                        REFERENCE + "#escape",
                    )
                else:
                    self.escape = value
        return len(self.lines)

    def _continues(self, line: str) -> int | None:
        match = re.search(re.escape(self.escape) + r"[ \t]*$", line)
        return match.start() if match else None

    def _instructions(self, index: int) -> None:
        lines = self.lines
        while index < len(lines):
            raw = lines[index]
            stripped = raw.lstrip()
            if not stripped or stripped.startswith("#"):
                index += 1
                continue
            first_line = index
            indent = len(raw) - len(stripped)
            pieces: list[tuple[int, int, int]] = []
            logical = ""
            current, current_indent = stripped, indent
            while True:
                pieces.append((len(logical), index + 1, current_indent + 1))
                cut = self._continues(current)
                index += 1
                if cut is None:
                    logical += current
                    break
                logical += current[:cut]
                while index < len(lines) and (
                    not lines[index].strip() or lines[index].lstrip().startswith("#")
                ):
                    index += 1
                if index >= len(lines):
                    break
                current, current_indent = lines[index], 0
            match = re.match(r"(\S+)[ \t]*", logical)
            if match is None:  # only an escape character on the line
                continue
            word = match.group(1)
            instruction = Instruction(
                keyword=word.upper(),
                word=word,
                args=logical[match.end() :].rstrip(),
                line=first_line + 1,
                column=indent + 1,
                pieces=pieces,
                args_offset=match.end(),
            )
            index = self._heredocs(instruction, index)
            self.instructions.append(instruction)

    def _heredocs(self, instruction: Instruction, index: int) -> int:
        keyword = instruction.keyword
        if keyword == "ONBUILD":
            keyword = instruction.args.split(" ", 1)[0].upper()
        if keyword not in ("RUN", "COPY", "ADD"):
            return index
        for match in _HEREDOC.finditer(instruction.args):
            strip_tabs, terminator = match.group(1) == "-", match.group(3)
            body: list[str] = []
            while index < len(self.lines):
                line = self.lines[index]
                index += 1
                if (line.lstrip("\t") if strip_tabs else line) == terminator:
                    break
                body.append(line)
            else:
                self.result.error(
                    f"unterminated heredoc: no line reading {terminator!r}",
                    instruction.position(match.start()),
                    REFERENCE + "#here-documents",
                )
            instruction.heredocs.append("\n".join(body))
        return index


def _expand(text: str, variables: dict[str, str]) -> str | None:
    """Substitute $NAME, ${NAME}, ${NAME:-default}, ${NAME:+alt}; None if one is unknown."""
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(4)
        value = variables.get(name)
        if match.group(2) == "-":
            return value if value else match.group(3)
        if match.group(2) == "+":
            return match.group(3) if value else ""
        if value is None:
            unknown = True
            return ""
        return value

    expanded = _VARIABLE.sub(replace, text)
    return None if unknown else expanded


def _exec_form(instruction: Instruction, result: Result) -> tuple[bool, Any]:
    """(is exec form, parsed value) for RUN, CMD, ENTRYPOINT, SHELL arguments."""
    args = instruction.args
    if not args.startswith("["):
        return False, args
    try:
        value = json.loads(args)
    except ValueError:
        value = None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return True, value
    result.error(
        f"{instruction.keyword} starts like exec form but is not a JSON array of strings "
        '(use double quotes: ["executable", "param"]). Docker would run it as a shell '
        f"command, `/bin/sh -c {args}`, which fails.",
        instruction.position(0),
        SRC_FORMS,
    )
    return False, args


def _looks_secret(name: str) -> bool:
    lowered = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    if "public" in lowered:
        return False
    words = set(re.split(r"[_\-.]+", lowered))
    compact = lowered.replace("-", "_")
    return bool(words & SECRET_WORDS) or any(pair in compact for pair in SECRET_PAIRS)


def _env_names(args: str) -> list[tuple[str, int]]:
    """Names set by ENV (key=value pairs, or the legacy ENV key value) with their offsets."""
    first = re.match(r"\S+", args)
    if first is None:
        return []
    if "=" not in first.group(0):
        return [(first.group(0), 0)]
    return [(m.group(1), m.start(1)) for m in re.finditer(r"(?:^|\s)([^\s=]+)=", args)]


def _arg_names(args: str) -> list[tuple[str, int]]:
    return [(m.group(1), m.start(1)) for m in re.finditer(r"(?:^|\s)([^\s=]+)(?:=\S*)?", args)]


def _split_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference such as registry:5000/app:1.2@sha256:..."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :], digest or None
    return name, None, digest or None


def _reference_problem(repository: str, tag: str | None) -> str | None:
    """What makes an image reference unparseable for Docker, or None."""
    domain, slash, path = repository.partition("/")
    if not slash or not ("." in domain or ":" in domain or domain == "localhost"):
        path = repository  # Docker Hub: no registry host in front
    elif not re.fullmatch(r"[A-Za-z0-9.-]+(?::[0-9]+)?", domain):
        return "invalid registry host"
    if path != path.lower():
        return "repository name must be lowercase"
    if not _REPOSITORY_PATH.fullmatch(path):
        return "invalid repository name"
    if tag is not None and not _TAG.fullmatch(tag):
        return "invalid tag"
    return None


class _Checker:
    def __init__(self, result: Result) -> None:
        self.result = result
        self.stages: list[Stage] = []
        self.meta_args: dict[str, str] = {}
        self.reported_no_stage = False

    def check(self, instructions: list[Instruction]) -> None:
        result = self.result
        for instruction in instructions:
            keyword = instruction.keyword
            if keyword not in INSTRUCTIONS:
                guess = difflib.get_close_matches(keyword, INSTRUCTIONS, n=1)
                hint = f" (did you mean {guess[0].lower()}?)" if guess else ""
                result.error(
                    f"unknown instruction: {instruction.word}{hint}",
                    (instruction.line, instruction.column),
                    SRC_FORMAT,
                )
                continue
            if not instruction.args:
                result.error(
                    f"{keyword} requires at least one argument",
                    (instruction.line, instruction.column),
                    REFERENCE + "#" + keyword.lower(),
                )
                continue
            if keyword == "FROM":
                self.from_(instruction)
                continue
            if not self.stages:
                if keyword == "ARG":
                    self.meta_arg(instruction)
                elif not self.reported_no_stage:
                    self.reported_no_stage = True
                    result.error(
                        f"no build stage in current context: {keyword} comes before the first "
                        "FROM (only ARG may come before FROM)",
                        (instruction.line, instruction.column),
                        SRC_FROM,
                    )
                continue
            getattr(self, keyword.lower())(instruction)

    @property
    def stage(self) -> Stage:
        return self.stages[-1]

    def meta_arg(self, instruction: Instruction) -> None:
        self.arg(instruction)
        for match in re.finditer(r"([^\s=]+)(?:=(\S*))?", instruction.args):
            self.meta_args[match.group(1)] = (match.group(2) or "").strip("\"'")

    def from_(self, instruction: Instruction) -> None:
        tokens = [(tok, at) for tok, at in instruction.tokens() if not tok.startswith("--")]
        if len(tokens) not in (1, 3) or (len(tokens) == 3 and tokens[1][0].upper() != "AS"):
            self.result.error(
                "FROM requires either one or three arguments: FROM [--platform=<platform>] "
                "<image> [AS <name>]",
                (instruction.line, instruction.column),
                SRC_FROM,
            )
            image, name = (tokens[0][0] if tokens else ""), None
        else:
            image = tokens[0][0]
            name = tokens[2][0].lower() if len(tokens) == 3 else None
        at = instruction.position(tokens[0][1]) if tokens else instruction.position(0)
        parent = next((s for s in self.stages if s.name and s.name == image.lower()), None)
        stage = Stage(len(self.stages), name, image, instruction.line, parent)
        self.stages.append(stage)
        if parent is not None or not image:
            return
        expanded = _expand(image, self.meta_args)
        if expanded is None or not expanded:
            return  # depends on a build argument without a default: nothing to judge
        stage.base = expanded
        if expanded.lower() == "scratch":
            return
        repository, tag, digest = _split_reference(expanded)
        problem = _reference_problem(repository, tag)
        if problem:
            self.result.error(
                f"invalid reference format: {problem} ({expanded})", at, SRC_REFERENCE_FORMAT
            )
            return
        if digest:
            return
        if tag is None:
            self.result.warn(
                f"Base image {expanded} has no tag, so it means {expanded}:latest, which changes "
                "under you: pin a version tag (or a digest).",
                at,
                SRC_TAG,
            )
        elif tag == "latest":
            self.result.warn(
                f"Base image {expanded} uses the latest tag, which changes under you: pin a "
                "version tag (or a digest).",
                at,
                SRC_TAG,
            )

    def arg(self, instruction: Instruction) -> None:
        self._secrets(instruction, _arg_names(instruction.args))

    def env(self, instruction: Instruction) -> None:
        self._secrets(instruction, _env_names(instruction.args))

    def _secrets(self, instruction: Instruction, names: list[tuple[str, int]]) -> None:
        for name, offset in names:
            if _looks_secret(name):
                self.result.warn(
                    f"SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive "
                    f'data ({instruction.keyword} "{name}"): they stay in the image. Use a build '
                    "secret (RUN --mount=type=secret) or inject it at run time (ECS secrets).",
                    instruction.position(offset),
                    SRC_SECRETS,
                )

    def run(self, instruction: Instruction) -> None:
        _exec_form(instruction, self.result)

    def cmd(self, instruction: Instruction) -> None:
        self._command(instruction, "cmd")

    def entrypoint(self, instruction: Instruction) -> None:
        self._command(instruction, "entrypoint")

    def _command(self, instruction: Instruction, attribute: str) -> None:
        exec_form, value = _exec_form(instruction, self.result)
        stage = self.stage
        count = getattr(stage, attribute + "_count") + 1
        setattr(stage, attribute + "_count", count)
        setattr(stage, attribute, value)
        if count > 1:
            self.result.warn(
                f"MultipleInstructionsDisallowed: Multiple {instruction.keyword} instructions "
                "should not be used in the same stage because only the last one will be used.",
                (instruction.line, instruction.column),
                SRC_MULTIPLE,
            )
        if not instruction.args.startswith("["):
            self.result.warn(
                f"JSONArgsRecommended: JSON arguments recommended for {instruction.keyword} to "
                "prevent unintended behavior related to OS signals: shell form runs under "
                "/bin/sh -c, which does not pass SIGTERM on to your process.",
                (instruction.line, instruction.column),
                SRC_JSON_ARGS,
            )

    def shell(self, instruction: Instruction) -> None:
        _exec_form(instruction, self.result)
        if not instruction.args.startswith("["):
            self.result.error(
                "SHELL requires the arguments to be in JSON form",
                instruction.position(0),
                SRC_SHELL,
            )

    def expose(self, instruction: Instruction) -> None:
        for token, offset in instruction.tokens():
            if "$" in token:
                continue
            at = instruction.position(offset)
            match = _PORT.fullmatch(token)
            if not match:
                shown = token if len(token) <= 40 else token[:40] + "..."
                self.result.error(f"Invalid containerPort: {shown}", at, SRC_EXPOSE)
                continue
            start, end = int(match.group(1)), int(match.group(2) or match.group(1))
            protocol = (match.group(3) or "tcp").lower()
            if start > 65535 or end > 65535:
                self.result.error(
                    f"Invalid containerPort: {token} (ports are 0-65535)", at, SRC_EXPOSE
                )
                continue
            if end < start:
                self.result.error(
                    f"Invalid range specified for container port: {token}", at, SRC_EXPOSE
                )
                continue
            if protocol not in ("tcp", "udp", "sctp"):
                self.result.error(
                    f"Invalid proto: {match.group(3)} (use tcp, udp or sctp)", at, SRC_EXPOSE
                )
                continue
            entry: dict[str, Any] = {"port": start, "protocol": protocol}
            if end != start:
                entry["end_port"] = end
            self.stage.exposed.append(entry)

    def user(self, instruction: Instruction) -> None:
        self.stage.user = instruction.args.strip()

    def add(self, instruction: Instruction) -> None:
        sources = self._copy_sources(instruction)
        if sources is None:
            return
        checksum = "--checksum" in instruction.args
        for source, offset in sources:
            at = instruction.position(offset)
            lowered = source.lower()
            if lowered.startswith(("http://", "https://")):
                if not checksum and not lowered.endswith(".git"):
                    self.result.warn(
                        f"ADD {source} downloads a remote file without verifying it: add "
                        "--checksum=sha256:... or download and check it in a RUN step.",
                        at,
                        SRC_ADD,
                    )
            elif lowered.startswith("git@") or source.startswith("<<"):
                continue
            elif not lowered.endswith(ARCHIVE_SUFFIXES):
                self.result.warn(
                    f"ADD {source}: use COPY for local files; ADD's extra behaviour (extracting "
                    "archives, fetching URLs) is not needed here.",
                    at,
                    SRC_ADD,
                )

    def copy(self, instruction: Instruction) -> None:
        self._copy_sources(instruction)

    def _copy_sources(self, instruction: Instruction) -> list[tuple[str, int]] | None:
        if instruction.args.startswith("["):
            exec_form, value = _exec_form(instruction, self.result)
            if not exec_form:
                return None
            tokens = [(item, 0) for item in value]
        else:
            tokens = [(tok, at) for tok, at in instruction.tokens() if not tok.startswith("--")]
        if len(tokens) < 2 and not instruction.heredocs:
            self.result.error(
                f"{instruction.keyword} requires at least two arguments, but only one was "
                "provided. Destination could not be determined.",
                (instruction.line, instruction.column),
                REFERENCE + "#" + instruction.keyword.lower(),
            )
            return None
        return tokens[:-1]

    def maintainer(self, instruction: Instruction) -> None:
        self.result.warn(
            "MaintainerDeprecated: The MAINTAINER instruction is deprecated, use a label "
            "instead to define an image author (LABEL org.opencontainers.image.authors=...).",
            (instruction.line, instruction.column),
            SRC_MAINTAINER,
        )

    def healthcheck(self, instruction: Instruction) -> None:
        words = instruction.args.split()
        kinds = [word for word in words if not word.startswith("--")]
        if not kinds or kinds[0].upper() not in ("CMD", "NONE"):
            self.result.error(
                "HEALTHCHECK takes NONE or CMD <command> (after its --options)",
                (instruction.line, instruction.column),
                SRC_HEALTHCHECK,
            )

    def onbuild(self, instruction: Instruction) -> None:
        inner = instruction.args.split(None, 1)[0].upper()
        if inner in ("ONBUILD", "FROM", "MAINTAINER"):
            self.result.error(
                f"{inner} isn't allowed as an ONBUILD trigger",
                instruction.position(0),
                REFERENCE + "#onbuild",
            )
        elif inner not in INSTRUCTIONS:
            self.result.error(f"unknown instruction: {inner}", instruction.position(0), SRC_FORMAT)

    def label(self, instruction: Instruction) -> None:
        pass

    def volume(self, instruction: Instruction) -> None:
        pass

    def workdir(self, instruction: Instruction) -> None:
        pass

    def stopsignal(self, instruction: Instruction) -> None:
        pass


def validate(text: str, expose_port: int | None = None) -> Result:
    """Check a Dockerfile; with `expose_port`, also require that the final image EXPOSEs it."""
    result = Result()
    instructions = _Parse(text, result).run()
    checker = _Checker(result)
    checker.check(instructions)
    if not instructions:
        result.error(
            "the Dockerfile cannot be empty: it needs at least a FROM instruction",
            (1, 1),
            SRC_FROM,
        )
        return result
    if not checker.stages:
        if not checker.reported_no_stage:
            last = instructions[-1]
            result.error(
                "no build stage in current context: a Dockerfile must have a FROM instruction "
                "(only ARG may come before it)",
                (last.line, last.column),
                SRC_FROM,
            )
        return result
    final = checker.stages[-1]
    user = final.inherited("user")
    last_line = instructions[-1].line
    if user is None:
        result.warn(
            "No USER instruction: the container runs as root. Add a non-root user "
            "(RUN useradd ... then USER app).",
            (last_line, 1),
            SRC_USER,
        )
    elif user.split(":")[0] in ROOT_USERS:
        result.warn(
            f"The last USER is {user}: the container runs as root. Switch to a non-root user.",
            (last_line, 1),
            SRC_USER,
        )
    result.info.update(
        {
            "stages": [
                {"index": s.index, "name": s.name, "base": s.base, "line": s.line}
                for s in checker.stages
            ],
            "base_images": [s.base for s in checker.stages if s.parent is None],
            "exposed_ports": final.all_exposed(),
            "user": user,
            "cmd": final.inherited("cmd"),
            "entrypoint": final.inherited("entrypoint"),
        }
    )
    if expose_port is not None and not exposes(result, expose_port):
        result.error(
            f"The Dockerfile does not EXPOSE port {expose_port}, the port the task definition "
            f"maps: add EXPOSE {expose_port}.",
            (last_line, 1),
            SRC_EXPOSE,
        )
    return result


def exposes(result: Result, port: int, protocol: str = "tcp") -> bool:
    """Whether the validated Dockerfile's final image EXPOSEs `port` (ranges count)."""
    for entry in result.info.get("exposed_ports", []):
        end = entry.get("end_port", entry["port"])
        if entry["protocol"] == protocol and entry["port"] <= port <= end:
            return True
    return False
