"""Charter: a git-native registry for machine-learning governance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from charter._version import __version__

__all__ = ["Registry", "__version__"]

if TYPE_CHECKING:
    from charter.api import Registry


def __getattr__(name: str) -> object:
    # Importing the API pulls in the loader; keep `import charter` (and `charter --help`) cheap.
    if name == "Registry":
        from charter.api import Registry

        return Registry
    raise AttributeError(name)
