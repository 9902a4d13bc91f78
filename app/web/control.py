"""The presenter's controls (pause, resume, step, stop, reset) as POST routes, written once for runs and groups."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Path

from app.live.manager import RunManager
from app.live.state import Action
from app.web.deps import ManagerDep

# act(manager, id from the path, action) -> the run or group dict the route answers with
Act = Callable[[RunManager, str, Action], Awaitable[dict]]


def add_controls(router: APIRouter, noun: str, param: str, act: Act, docs: dict[Action, str]) -> None:
    """POST /{param}/{action} for each action of docs, named {action}_{noun}, documented by its line in docs."""
    for action, doc in docs.items():
        router.add_api_route(
            f"/{{{param}}}/{action.value}", _endpoint(noun, param, act, action, doc), methods=["POST"]
        )


def _endpoint(noun: str, param: str, act: Act, action: Action, doc: str) -> Callable[..., Awaitable[dict]]:
    """One handler, named and documented as if written out (its name and docstring make the /docs summary)."""

    async def endpoint(ident: Annotated[str, Path(alias=param)], manager: ManagerDep) -> dict:
        return await act(manager, ident, action)

    endpoint.__name__ = endpoint.__qualname__ = f"{action.value}_{noun}"
    endpoint.__doc__ = doc
    return endpoint
