"""Dockerfiles: parsing (continuations, escape directive, heredocs, exec form) and the checks."""

from __future__ import annotations

import pytest

from course.labs.validators import exposes, validate

from .helpers import check, find, messages, position

KIND = "dockerfile"

GOOD = """\
# syntax=docker/dockerfile:1
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home app
USER app
EXPOSE 8080
CMD ["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]
"""


def test_a_good_dockerfile_has_no_errors_or_warnings():
    data = check(KIND, GOOD)
    assert data["valid"] and data["warnings"] == [], messages(data, "warnings")
    info = data["info"]
    assert info["base_images"] == ["python:3.12-slim"]
    assert info["exposed_ports"] == [{"port": 8080, "protocol": "tcp"}]
    assert info["user"] == "app"
    assert info["cmd"] == ["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]
    assert info["entrypoint"] is None
    assert info["stages"] == [{"index": 0, "name": None, "base": "python:3.12-slim", "line": 2}]


def test_exposes_and_the_expose_option():
    result = validate(KIND, GOOD)
    assert exposes(result, 8080)
    assert not exposes(result, 80)
    assert not exposes(result, 8080, "udp")
    data = check(KIND, GOOD, expose_port=80)
    assert "does not EXPOSE port 80" in messages(data)
    assert check(KIND, GOOD, expose_port=8080)["valid"]


def test_port_ranges_count_for_exposes():
    result = validate(KIND, "FROM alpine:3.20\nUSER 1000\nEXPOSE 9000-9010/udp\n")
    assert exposes(result, 9005, "udp") and not exposes(result, 9011, "udp")


def test_instructions_are_case_insensitive():
    data = check(KIND, 'from alpine:3.20\nuser nobody\nexpose 80\ncmd ["sh"]\n')
    assert data["valid"] and data["warnings"] == []
    assert data["info"]["exposed_ports"] == [{"port": 80, "protocol": "tcp"}]


def test_line_continuations_and_comments_inside_them():
    text = (
        "FROM alpine:3.20\n"
        "RUN apk add \\\n"
        "# a comment inside the continuation\n"
        "    curl \\\n"
        "\n"
        "    git\n"
        "USER nobody\n"
        "EXPOSE 80 \\\n"
        "    99999\n"
    )
    data = check(KIND, text)
    issue = find(data, "Invalid containerPort: 99999")
    assert (issue["line"], issue["column"]) == (9, 5)


def test_escape_directive_backtick():
    text = (
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN dir `\n"
        "    c:\\\n"
        "USER ContainerUser\n"
        "EXPOSE 80 `\n"
        "    70000\n"
    )
    data = check(KIND, text)
    assert position(data) == (7, 5)
    assert "Invalid containerPort: 70000" in messages(data)


def test_a_directive_after_a_comment_is_just_a_comment():
    text = "# hello\n# escape=`\nFROM alpine:3.20\nUSER 1\nRUN echo \\\n  hi\n"
    assert check(KIND, text)["valid"]


def test_invalid_escape_directive():
    data = check(KIND, "# escape=x\nFROM alpine:3.20\n")
    assert "invalid escape token" in messages(data)


def test_heredocs_are_skipped():
    text = (
        "FROM alpine:3.20\n"
        "RUN <<EOF\n"
        "echo this is not an instruction\n"
        "BOGUS line\n"
        "EOF\n"
        "COPY <<-CONF /etc/app.conf\n"
        "\tkey=value\n"
        "\tCONF\n"
        "USER nobody\n"
    )
    data = check(KIND, text)
    assert data["valid"], messages(data)


def test_unterminated_heredoc():
    data = check(KIND, "FROM alpine:3.20\nRUN <<EOF\necho hi\n")
    assert "unterminated heredoc" in messages(data)


def test_arg_before_from_and_expansion_in_from():
    text = "ARG VERSION=3.12\nFROM python:${VERSION}-slim\nUSER 1000\n"
    data = check(KIND, text)
    assert data["valid"] and data["warnings"] == []
    assert data["info"]["base_images"] == ["python:3.12-slim"]


def test_arg_without_default_cannot_be_judged():
    data = check(KIND, "ARG IMAGE\nFROM $IMAGE\nUSER 1000\n")
    assert data["valid"] and data["warnings"] == []


def test_no_from_is_an_error():
    data = check(KIND, "RUN echo hi\n")
    assert "no build stage in current context" in messages(data)
    assert position(data) == (1, 1)
    assert not check(KIND, "ARG X=1\n")["valid"]


def test_an_instruction_before_from_is_an_error():
    data = check(KIND, "# comment\nARG A=1\nENV B=2\nFROM alpine:3.20\nUSER 1\n")
    issue = find(data, "ENV comes before the first FROM")
    assert (issue["line"], issue["column"]) == (3, 1)


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# only a comment\n", "# syntax=docker/dockerfile:1\n"]
)
def test_an_empty_dockerfile_is_an_error(text):
    assert "cannot be empty" in messages(check(KIND, text))


def test_unknown_instruction_with_a_suggestion():
    data = check(KIND, "FROM alpine:3.20\n  COPPY a b\n")
    issue = find(data, "unknown instruction: COPPY")
    assert "did you mean copy?" in issue["message"]
    assert (issue["line"], issue["column"]) == (2, 3)


@pytest.mark.parametrize(
    "line",
    ['CMD ["python", app.py]', "CMD ['python', 'app.py']", 'ENTRYPOINT ["a",', 'RUN ["a", 1]'],
)
def test_malformed_exec_form(line):
    data = check(KIND, f"FROM alpine:3.20\nUSER 1\n{line}\n")
    assert "not a JSON array of strings" in messages(data)
    assert position(data)[0] == 3


def test_shell_form_cmd_and_entrypoint_are_warnings():
    data = check(KIND, "FROM alpine:3.20\nUSER 1\nENTRYPOINT ./run.sh\nCMD --help\n")
    assert data["valid"]
    assert messages(data, "warnings").count("JSONArgsRecommended") == 2


def test_multiple_cmd_only_last_counts():
    data = check(KIND, 'FROM alpine:3.20\nUSER 1\nCMD ["a"]\nCMD ["b"]\n')
    issue = find(data, "MultipleInstructionsDisallowed", "warnings")
    assert issue["line"] == 4
    assert data["info"]["cmd"] == ["b"]


def test_cmd_in_an_earlier_stage_does_not_count_twice():
    text = 'FROM alpine:3.20 AS a\nCMD ["a"]\nFROM alpine:3.20\nUSER 1\nCMD ["b"]\n'
    assert check(KIND, text)["warnings"] == []


@pytest.mark.parametrize(
    ("image", "warned"),
    [
        ("python", True),
        ("python:latest", True),
        ("python:3.12", False),
        ("python@sha256:" + "a" * 64, False),
        ("localhost:5000/app", True),
        ("localhost:5000/app:1.0", False),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.2.3", False),
        ("public.ecr.aws/docker/library/nginx:latest", True),
        ("scratch", False),
    ],
)
def test_base_image_tags(image, warned):
    data = check(KIND, f"FROM {image}\nUSER 1000\n")
    assert data["valid"], messages(data)
    assert bool(data["warnings"]) is warned, messages(data, "warnings")


@pytest.mark.parametrize("image", ["Python:3.12", "python:3.12:4", "python:-x"])
def test_invalid_image_references(image):
    assert "invalid reference format" in messages(check(KIND, f"FROM {image}\nUSER 1\n"))


def test_from_a_stage_name_is_not_an_image():
    text = (
        "FROM golang:1.23 AS build\nRUN go build -o /app\n"
        "FROM build AS test\nFROM gcr.io/distroless/static:nonroot\n"
        "COPY --from=build /app /app\nUSER nonroot\n"
    )
    data = check(KIND, text)
    assert data["valid"] and data["warnings"] == []
    assert data["info"]["base_images"] == ["golang:1.23", "gcr.io/distroless/static:nonroot"]
    assert [stage["name"] for stage in data["info"]["stages"]] == ["build", "test", None]


def test_from_with_wrong_argument_count():
    data = check(KIND, "FROM alpine:3.20 build\n")
    assert "FROM requires either one or three arguments" in messages(data)


def test_from_with_platform_flag():
    assert check(KIND, "FROM --platform=linux/arm64 alpine:3.20 AS x\nUSER 1\n")["valid"]


@pytest.mark.parametrize("user", [None, "root", "0", "root:root", "0:0"])
def test_root_user_is_a_warning(user):
    text = "FROM alpine:3.20\n" + (f"USER {user}\n" if user else "")
    data = check(KIND, text)
    assert data["valid"]
    assert "root" in messages(data, "warnings")


def test_user_is_inherited_from_the_parent_stage():
    text = "FROM alpine:3.20 AS base\nUSER app\nFROM base\n"
    data = check(KIND, text)
    assert data["warnings"] == [] and data["info"]["user"] == "app"


@pytest.mark.parametrize(
    ("line", "fragment", "column"),
    [
        ("EXPOSE 70000", "Invalid containerPort: 70000", 8),
        ("EXPOSE 80/http", "Invalid proto: http", 8),
        ("EXPOSE abc", "Invalid containerPort: abc", 8),
        ("EXPOSE 80 443 9000-8000", "Invalid range specified", 15),
        ("EXPOSE 8080-70000/tcp", "Invalid containerPort", 8),
    ],
)
def test_bad_expose(line, fragment, column):
    data = check(KIND, f"FROM alpine:3.20\nUSER 1\n{line}\n")
    issue = find(data, fragment)
    assert (issue["line"], issue["column"]) == (3, column)


def test_expose_protocols_and_variables():
    data = check(KIND, "FROM alpine:3.20\nUSER 1\nEXPOSE 53/udp 80/TCP 132/sctp $PORT\n")
    assert data["valid"]
    assert [p["protocol"] for p in data["info"]["exposed_ports"]] == ["udp", "tcp", "sctp"]


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("ENV DB_PASSWORD=hunter2", "DB_PASSWORD"),
        ("ENV API_TOKEN abc", "API_TOKEN"),
        ("ARG AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
        ("ARG AWS_ACCESS_KEY_ID=x", "AWS_ACCESS_KEY_ID"),
        ("ENV A=1 githubToken=x", "githubToken"),
        ("ENV MY_API_KEY=1", "MY_API_KEY"),
    ],
)
def test_secret_looking_names_are_warnings(line, name):
    data = check(KIND, f"FROM alpine:3.20\nUSER 1\n{line}\n")
    assert data["valid"]
    issue = find(data, "SecretsUsedInArgOrEnv", "warnings")
    assert f'"{name}"' in issue["message"]
    text_line = line
    assert text_line[issue["column"] - 1 :].startswith(name)


@pytest.mark.parametrize(
    "line", ["ENV PUBLIC_KEY=abc", "ENV PATH=/usr/bin", "ARG AUTHOR=me", "ENV TOKENIZER=x"]
)
def test_ordinary_names_are_not_secrets(line):
    assert check(KIND, f"FROM alpine:3.20\nUSER 1\n{line}\n")["warnings"] == []


@pytest.mark.parametrize(
    ("line", "warned"),
    [
        ("ADD app.py /app/", True),
        ("ADD vendor.tar.gz /opt/", False),
        ("ADD https://example.com/tool.bin /usr/local/bin/", True),
        ("ADD --checksum=sha256:abc https://example.com/tool.bin /bin/", False),
        ("ADD https://github.com/moby/buildkit.git /src", False),
        ("COPY app.py /app/", False),
    ],
)
def test_add_where_copy_does(line, warned):
    data = check(KIND, f"FROM alpine:3.20\nUSER 1\n{line}\n")
    assert data["valid"]
    assert bool(data["warnings"]) is warned


def test_copy_needs_a_destination():
    assert "requires at least two arguments" in messages(
        check(KIND, "FROM alpine:3.20\nCOPY app.py\n")
    )


def test_instruction_without_arguments():
    assert "WORKDIR requires at least one argument" in messages(
        check(KIND, "FROM alpine:3.20\nWORKDIR\n")
    )


def test_shell_must_be_json():
    assert "SHELL requires the arguments to be in JSON form" in messages(
        check(KIND, "FROM alpine:3.20\nSHELL /bin/bash -c\n")
    )
    assert check(KIND, 'FROM alpine:3.20\nUSER 1\nSHELL ["/bin/bash", "-c"]\n')["valid"]


def test_maintainer_is_deprecated():
    data = check(KIND, "FROM alpine:3.20\nMAINTAINER me\nUSER 1\n")
    assert data["valid"] and "MaintainerDeprecated" in messages(data, "warnings")


def test_healthcheck_forms():
    ok = 'FROM alpine:3.20\nUSER 1\nHEALTHCHECK --interval=30s CMD ["wget", "-q", "localhost"]\n'
    assert check(KIND, ok)["valid"]
    assert check(KIND, "FROM alpine:3.20\nUSER 1\nHEALTHCHECK NONE\n")["valid"]
    assert not check(KIND, "FROM alpine:3.20\nUSER 1\nHEALTHCHECK wget localhost\n")["valid"]


def test_onbuild_triggers():
    assert check(KIND, "FROM alpine:3.20\nUSER 1\nONBUILD RUN echo hi\n")["valid"]
    assert not check(KIND, "FROM alpine:3.20\nONBUILD ONBUILD RUN x\n")["valid"]


def test_crlf_line_endings():
    data = check(KIND, GOOD.replace("\n", "\r\n"))
    assert data["valid"] and data["warnings"] == []


def test_entrypoint_info():
    data = check(KIND, 'FROM alpine:3.20\nUSER 1\nENTRYPOINT ["/bin/app"]\nCMD ["--serve"]\n')
    assert data["info"]["entrypoint"] == ["/bin/app"] and data["info"]["cmd"] == ["--serve"]
