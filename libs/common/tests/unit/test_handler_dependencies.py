"""A handler receives only the dependencies it names, so its signature says what it uses."""

from __future__ import annotations

from typing import Any

from clashtor_common.service import named_dependencies

DEPS = {"exports": "the export store", "mailer": "the mailer", "runtime": "the runtime"}


async def names_exports(event: object, session: object, exports: str) -> None: ...


async def names_nothing(event: object, session: object) -> None: ...


async def takes_anything(event: object, session: object, **deps: Any) -> None: ...


def test_a_handler_gets_only_what_it_names() -> None:
    assert named_dependencies(names_exports, DEPS) == {"exports": "the export store"}


def test_a_handler_naming_nothing_gets_nothing() -> None:
    assert named_dependencies(names_nothing, DEPS) == {}


def test_a_handler_taking_keywords_gets_everything() -> None:
    assert named_dependencies(takes_anything, DEPS) == DEPS
