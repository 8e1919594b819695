"""Read the Dockerfile, .dockerignore and docker-compose.yml as Docker would.

No Docker engine runs where the tests do, so the container files are kept correct
by reading them: the instructions, which files `COPY . .` takes, and the
environment compose gives each service.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str  # upper case: FROM, ENV, COPY, RUN, CMD...
    args: str  # the rest of the (joined) line


def dockerfile(path: Path) -> list[Instruction]:
    """Instructions in order, continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
        pending = ""
    return instructions


def env_assignments(args: str) -> dict[str, str]:
    """`ENV A=1 B="two"` (or the leading `A=1 B=2 command` of a RUN) as a dict."""
    values: dict[str, str] = {}
    for word in shlex.split(args):
        name, equals, value = word.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            break
        values[name] = value
    return values


def image_env(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            env |= env_assignments(instruction.args)
    return env


def _pattern_matches(pattern: str, path: str) -> bool:
    """Docker's matching, simply: `*` within one segment, `**` any segments."""
    regex = ""
    for part in re.split(r"(\*\*/?|\*|\?)", pattern):
        if part in ("**", "**/"):
            regex += ".*"
        elif part == "*":
            regex += "[^/]*"
        elif part == "?":
            regex += "[^/]"
        else:
            regex += re.escape(part)
    return re.fullmatch(regex, path) is not None


def dockerignore(path: Path) -> list[tuple[bool, str]]:
    """(exclude?, pattern) pairs; `!pattern` re-includes."""
    rules = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        rules.append((not include, pattern))
    return rules


def ignored(rules: list[tuple[bool, str]], relative: str) -> bool:
    """Whether the context leaves `relative` out: the last rule matching the path
    or one of its parent folders decides."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for exclude, pattern in rules:
        if any(_pattern_matches(pattern, prefix) for prefix in prefixes):
            verdict = exclude
    return verdict


def build_context(root: Path) -> list[str]:
    """The files (relative, `/`-separated) `COPY . .` puts in the image."""
    ignore = root / ".dockerignore"
    rules = dockerignore(ignore) if ignore.exists() else []
    prunable = all(exclude for exclude, _ in rules)  # no `!`: skip whole folders
    files: list[str] = []
    for folder, dirs, names in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        if prunable:
            dirs[:] = [d for d in dirs if not ignored(rules, prefix + d)]
        files += [prefix + name for name in names if not ignored(rules, prefix + name)]
    return sorted(files)


def copied_files(root: Path, instructions: list[Instruction]) -> set[str]:
    """What the image's COPY instructions take from the build context."""
    context = build_context(root)
    copied: set[str] = set()
    for instruction in instructions:
        if instruction.keyword != "COPY" or instruction.args.startswith("--from"):
            continue
        *sources, _destination = shlex.split(instruction.args)
        for source in sources:
            source = source.strip("/").removeprefix("./")
            if source in ("", "."):
                copied.update(context)
            else:
                copied.update(
                    f for f in context if f == source or f.startswith(source + "/")
                )
    return copied


def compose(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}`; a required
    variable missing from `given` is an error, as it is for compose."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        value = given.get(name, "")
        if operator in (":?", "?") and not value:
            raise KeyError(f"{name} is required: {rest}")
        if operator in (":-", "-") and not value:
            return rest
        return value

    return _INTERPOLATION.sub(substitute, value)


def service_environment(
    data: dict[str, Any], service: str, given: dict[str, str]
) -> dict[str, str]:
    environment = data["services"][service].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    return {name: interpolate(str(value), given) for name, value in environment.items()}


def command_words(command: str | list[str]) -> list[str]:
    """A service's command as words; `sh -c "a && b"` gives the words of a and b."""
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        return shlex.split(" ".join(words[2:]).replace("&&", " && "))
    return words
