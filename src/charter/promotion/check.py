"""One requirement of a promotion, checked: what it is, whether it passed, and the sentence that says why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    pending: bool = False  # approvals: only the forge (or CODEOWNERS with branch protection) settles them

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "pending": self.pending, "detail": self.detail}
