"""`charter report`: the registry as a static HTML site that opens from a file share, with no network at all.

`model` gathers what the pages show, `figures` and `charts` draw the charts as SVG, `lineage_view` draws lineage,
`site` renders the templates and swaps the new site into place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charter.report.site import SiteSummary


def build_report(registry_root: Path, directory: Path, *, title: str | None = None, force: bool = False
                 ) -> SiteSummary:
    """Read the registry at `registry_root` (and its git history) and write the site to `directory`."""
    from charter.report.model import build_report_model
    from charter.report.site import write_site
    from charter.store.loader import load_registry

    loaded = load_registry(registry_root)
    model = build_report_model(loaded.index, loaded.config, root=registry_root, title=title)
    return write_site(model, directory, registry_root=registry_root, force=force)
