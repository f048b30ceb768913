"""Drive leadsim from Python tests: start it, control its virtual clock,
faults, fixtures, tenants and rate limits, and assert on its journal."""

from .client import (
    Clock,
    Fault,
    Faults,
    Journal,
    Leadsim,
    LeadsimError,
    Tenant,
    Tenants,
    WaitTimeout,
)

__all__ = [
    "Clock",
    "Fault",
    "Faults",
    "Journal",
    "Leadsim",
    "LeadsimError",
    "Tenant",
    "Tenants",
    "WaitTimeout",
]
__version__ = "0.1.0"
