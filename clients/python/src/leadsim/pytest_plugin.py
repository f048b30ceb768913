"""pytest fixtures for leadsim, registered by installing the package.

- `leadsim`: one server for the whole session: `$LEADSIM_URL` if set,
  else started from `$LEADSIM_BINARY` (or `leadsim` on PATH) and stopped at
  the end; `$LEADSIM_ADMIN_TOKEN`, if set, is the admin token it sends (and
  a server it starts requires);
- `leadsim_reset`: that server, reset before the test;
- `leadsim_tenant`: creates tenants for this test (`leadsim_tenant("engine")`).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import pytest

from .client import Leadsim, Tenant


@pytest.fixture(scope="session")
def leadsim() -> Iterator[Leadsim]:
    if os.environ.get("LEADSIM_URL"):
        yield Leadsim.connect()
        return
    with Leadsim.start() as sim:
        yield sim


@pytest.fixture
def leadsim_reset(leadsim: Leadsim) -> Leadsim:
    leadsim.reset()
    return leadsim


@pytest.fixture
def leadsim_tenant(leadsim: Leadsim, request: pytest.FixtureRequest) -> Callable[..., Tenant]:
    """A factory: `leadsim_tenant(family, **options)` makes a tenant named
    after the test; tenants last until the next reset."""

    def make(family: str, **options: Any) -> Tenant:
        options.setdefault("name", request.node.name[:100])
        return leadsim.tenants.create(family, **options)

    return make
