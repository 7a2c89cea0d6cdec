"""URIs written into registry files or shown to people: never with a credential in them.

One rule for both places: `redact_uri` is what Charter records and prints of a URI (a tracking server, a code
repository, a dataset), and a URI a person wrote into a committed file is refused (CH510) when redacting would
change it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Words that mark a query parameter as a credential, anywhere in its name and in any case: `token`,
#: `X-Amz-Security-Token`, `X-Amz-Signature`, `X-Amz-Credential`, `sas_token`, `api_key`, `password`, ...
SECRET_PARAMETER_WORDS = ("token", "secret", "sig", "credential", "password", "passwd", "key", "auth")
UNPARSEABLE = "(a URI that does not parse)"


def secret_parameter(name: str) -> bool:
    """Whether a query parameter of this name carries a credential."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_PARAMETER_WORDS)


def redact_uri(uri: str) -> str:
    """`uri` without a user, password or secret query parameter: the form Charter prints and records."""
    try:
        parts = urlsplit(uri)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if "@" not in parts.netloc and not any(secret_parameter(k) for k, _ in pairs):
            return uri  # nothing to hide: keep it byte for byte (`sqlite:////abs/path` has an empty host)
        netloc = parts.hostname or ""
        if ":" in netloc:  # an IPv6 literal
            netloc = f"[{netloc}]"
        if parts.port is not None:
            netloc = f"{netloc}:{parts.port}"
    except ValueError:  # a port that is no number, a broken IPv6 literal: nothing of it is safe to show
        return UNPARSEABLE
    query = urlencode([(k, v) for k, v in pairs if not secret_parameter(k)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def uri_has_credentials(uri: str) -> bool:
    """Whether a URI written in a committed file carries a secret (a user and password, or a secret parameter)."""
    return redact_uri(uri) != uri
