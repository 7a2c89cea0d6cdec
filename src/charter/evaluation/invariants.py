"""A contract's invariants and whether a result lies in its range: shared by the evaluation check, the recorder
of evaluations and the promotion policy, so the three never disagree about what holds."""

from __future__ import annotations

from typing import Any

from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex


def _bound(expected: Any, name: str) -> float | None:
    value = value_at(expected, (name,))
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def in_range(result: float, expected: Any) -> bool:
    """True if `result` lies in the inclusive range {min, max} (either bound may be absent)."""
    low, high = _bound(expected, "min"), _bound(expected, "max")
    return (low is None or result >= low) and (high is None or result <= high)


def declared_invariants(index: RegistryIndex, model_ref: Any) -> tuple[str | None, dict[str, dict[str, Any]]]:
    """The contract of a model version and the invariants it declares, by name."""
    model = index.get(str(model_ref))
    contract_ref = value_at(model.spec, ("contract",)) if model is not None else None
    contract = index.get(str(contract_ref)) if isinstance(contract_ref, str) else None
    declared = value_at(contract.spec, ("invariants",)) if contract is not None else None
    if not isinstance(declared, list):
        return (contract_ref if isinstance(contract_ref, str) else None), {}
    return str(contract_ref), {str(i["name"]): i for i in declared if isinstance(i, dict) and "name" in i}
