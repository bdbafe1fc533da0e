"""Readable OpenAPI operation ids: ``<resource>_<verb>`` (``calls_list``, ``calls_get``).

FastAPI's default id glues the function name, path and method
(``list_calls_v1_calls_get``): unreadable in generated clients and changed by any
path edit. Here the id is the router's tag (the resource) followed by the handler's
name without the resource's own words, so ``list_calls`` under ``calls`` becomes
``calls_list`` and ``get_audio`` becomes ``calls_get_audio``. It depends only on the
tag and the function name, so it is stable; a test keeps every id unique.
"""

from __future__ import annotations

from fastapi.routing import APIRoute


def _forms(word: str) -> set[str]:
    """The word and its singular (``calls`` → ``call``), both left out of the verb."""
    return {word, word.removesuffix("s")}


def operation_id(route: APIRoute) -> str:
    """``<tag>_<verb>``; a route with no tag keeps its function name."""
    if not route.tags:
        return route.name
    resource = str(route.tags[0]).lower().replace(" ", "_").replace("-", "_")
    own = set().union(*(_forms(word) for word in resource.split("_")))
    verb = [word for word in route.name.lower().split("_") if word and word not in own]
    return "_".join([resource, *verb]) if verb else f"{resource}_{route.name}"
