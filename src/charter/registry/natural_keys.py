"""The natural key of each list in the schemas: input fields by name, thresholds by value, subgroups by name.

Lists are compared and de-duplicated by these keys, never by position, so reordering a list is no change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from charter.registry.fields import JsonPath, value_at

#: kind → (path of the list inside the document, the key field of its items)
NATURAL_KEYS: dict[str, tuple[tuple[JsonPath, str], ...]] = {
    "Contract": ((("spec", "input", "fields"), "name"), (("spec", "output", "thresholds"), "value"),
                 (("spec", "invariants"), "name")),
    "Evaluation": ((("spec", "thresholds"), "threshold"), (("spec", "subgroups"), "name"),
                   (("spec", "invariants"), "name")),
    "EventDefinition": ((("spec", "windows"), "name"),),
    "Registry": ((("spec", "environments"), "name"),),
}


def keyed_lists(kind_name: str, data: Any) -> Iterator[tuple[JsonPath, str, list[Any]]]:
    """Each keyed list present in a document: its path, key field and items."""
    for path, key in NATURAL_KEYS.get(kind_name, ()):
        node = value_at(data, path)
        if isinstance(node, list):
            yield path, key, node
