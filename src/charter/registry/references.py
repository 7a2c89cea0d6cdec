"""The one reference syntax, `kind:name@version`, parsed and printed in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass

from charter.errors import MalformedReference, NotAReference, UnknownReferenceKind
from charter.registry.kinds import KINDS, NAME_PATTERN, SEMVER_PATTERN, Kind, kind_for_prefix

_PREFIXES = "|".join(sorted({k.prefix for k in KINDS.values()}))
#: A whole string that is a reference; used to find references anywhere inside a document.
REFERENCE_RE = re.compile(rf"^({_PREFIXES}):({NAME_PATTERN})(?:@({SEMVER_PATTERN}))?$")
_LOOSE_RE = re.compile(r"^([a-z]+):([^@\s]+)(?:@(\S+))?$")


@dataclass(frozen=True, slots=True)
class Reference:
    prefix: str
    name: str
    version: str | None = None

    @property
    def kind(self) -> Kind | None:
        return kind_for_prefix(self.prefix, self.version is not None)

    def __str__(self) -> str:
        return f"{self.prefix}:{self.name}@{self.version}" if self.version else f"{self.prefix}:{self.name}"


def parse_reference(text: str) -> Reference:
    """Parse `kind:name[@version]`; a malformed one is a usage error that shows the expected form."""
    match = _LOOSE_RE.match(text.strip())
    if not match:
        raise NotAReference(text=text)
    prefix, name, version = match.groups()
    if prefix not in {k.prefix for k in KINDS.values()}:
        known = ", ".join(sorted({k.prefix for k in KINDS.values()}))
        raise UnknownReferenceKind(text=text, prefix=prefix, known=known)
    if not REFERENCE_RE.match(text.strip()):
        raise MalformedReference(text=text)
    return Reference(prefix, name, version)


def reference_of(kind: Kind, name: str, version: str | None) -> Reference:
    return Reference(kind.prefix, name, version if kind.versioned else None)
