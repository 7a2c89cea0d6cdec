"""What environments assign: one reading of an Environment's `spec.assignments`, for every module that asks."""

from __future__ import annotations

from typing import Any

from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.references import Reference


def assignment_items(environment_spec: Any) -> list[dict[str, Any]]:
    """The `spec.assignments` items that name a model (a string `model`), in file order; the schema check
    reports malformed ones, so readers skip them rather than fail."""
    found = value_at(environment_spec, ("assignments",))
    items = found if isinstance(found, list) else []
    return [a for a in items if isinstance(a, dict) and isinstance(a.get("model"), str)]


def assignments(index: RegistryIndex, environment: str) -> list[dict[str, Any]]:
    """The assignment items of the environment named `environment`; none when it has no file."""
    env = index.get(Reference("environment", environment))
    return assignment_items(env.spec if env is not None else None)


def assigned_version(environment_spec: Any, model: str, mode: str = "full") -> str | None:
    """The version of `model` an environment's spec assigns with `mode`, as a reference."""
    for assignment in assignment_items(environment_spec):
        ref = assignment["model"]
        if ref.startswith(f"model:{model}@") and assignment.get("mode", "full") == mode:
            return str(ref)
    return None


def current_assignment(index: RegistryIndex, environment: str, model: str, mode: str = "full") -> str | None:
    """The version of `model` assigned in `environment` with `mode`, as a reference."""
    env = index.get(Reference("environment", environment))
    return assigned_version(env.spec if env is not None else None, model, mode)
