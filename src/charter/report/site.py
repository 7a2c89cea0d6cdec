"""The report as files: templates rendered with the `ReportModel`, written to a new folder that replaces DIR.

jinja2 renders the pages because its autoescaping makes every registry string (untrusted: anyone who can open a
pull request writes them) inert by default; only chart and lineage markup, built by our own escaping code, is marked
safe. The folder is built beside DIR and swapped in at the end, so a failed build leaves the old report whole.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from charter._version import __version__
from charter.errors import OutputHoldsRegistry, OutputInsideRegistry, OutputIsAFile, OutputNotAReport
from charter.report.model import ModelPage, ReportModel, page_of

MARKER = ".charter-report"
HERE = Path(__file__).parent
ASSETS = ("style.css", "catalog.js")
SAFE_SCHEMES = ("http", "https", "mailto")
#: Up to this many models are listed in every page's header; beyond it the catalog is the way in.
NAV_MODELS = 15


@dataclass(frozen=True)
class SiteSummary:
    directory: Path
    pages: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "index": str(self.directory / "index.html"),
                "pages": self.pages}


def external_url(url: object) -> str | None:
    """A link the reader may follow, or None: `javascript:` and other schemes stay text."""
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in SAFE_SCHEMES else None


def _spec_html(value: Any, link: Callable[[str], str | None]) -> Any:
    from markupsafe import Markup

    from charter.report.tree_view import render_tree

    return Markup(render_tree(value, link, external_url))  # render_tree escapes every string


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.ChainableUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["spec_html"] = _spec_html
    env.filters["as_json"] = lambda value: json.dumps(value, ensure_ascii=False, default=str)
    return env


class _Renderer:
    """Renders each page with links made relative to that page's folder."""

    def __init__(self, model: ReportModel) -> None:
        from markupsafe import Markup

        self.markup = Markup
        self.model = model
        self.env = _environment()
        self.known = {"index.html", *(m.page for m in model.models), *(p.page for p in model.pages)}

    def page(self, ref: str, root: str) -> str | None:
        """The relative link to an entry's page, or None when the site has no page for it."""
        target = page_of(ref) if isinstance(ref, str) else None
        if target is None or target.split("#", 1)[0] not in self.known:
            return None
        return root + target

    def render(self, template: str, path: str, **context: Any) -> tuple[str, str]:
        root = "../" * path.count("/")
        html = self.env.get_template(template).render(
            report=self.model, root=root, link=lambda ref: self.page(ref, root), page_path=path,
            version=__version__, nav=self.model.models if len(self.model.models) <= NAV_MODELS else [],
            **context)
        return path, html

    def all(self) -> Iterator[tuple[str, str]]:
        """Each page as it is rendered, so a large registry's site is never held in memory whole."""
        from charter.report import figures
        from charter.report.lineage_view import lineage_svg

        safe = self.markup
        yield self.render("catalog.html.j2", "index.html")
        for m in self.model.models:
            yield self.render("model.html.j2", m.page, m=m, charts=self._model_charts(m),
                              lineage={v.version: safe(lineage_svg(v.lineage, lambda ref: self.page(ref, "../"),
                                                                   f"v{i}"))
                                       for i, v in enumerate(m.versions)
                                       if v.lineage is not None and v.lineage.nodes})
        for p in self.model.pages:
            charts: dict[str, list[Any]] = {}
            if p.kind == "Evaluation":
                charts = {"thresholds": [safe(c) for c in figures.threshold_figures([p.doc])],
                          "subgroups": [safe(c) for c in figures.subgroup_figures([p.doc])],
                          "forest": [safe(c) for c in [figures.subgroup_forest(p.doc)] if c],
                          "comparison": [safe(c) for c in figures.comparison_figures(p.doc)],
                          "calibration": [safe(c) for c in [figures.calibration_figure(p.doc)] if c]}
            yield self.render("entry.html.j2", p.page, p=p, charts=charts)

    def _model_charts(self, m: ModelPage) -> dict[str, list[Any]]:
        from charter.report import figures

        return {name: [self.markup(c) for c in found] for name, found in (
            ("versions", figures.performance_over_versions(m.performance)),
            ("time", figures.performance_over_time(m.performance)),
            ("expectation", figures.production_against_expectation(m.expectations)),
            ("thresholds", figures.threshold_figures(m.evaluations)),
            ("subgroups", figures.subgroup_figures(m.evaluations)),
        )}


def render_site(model: ReportModel) -> Iterator[tuple[str, str]]:
    """Every page of the site with its site-relative path."""
    return _Renderer(model).all()


def _check_target(directory: Path, registry_root: Path | None, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise OutputIsAFile(path=directory)
    if registry_root is not None:
        from charter.store.cache import git_directory

        resolved, root = directory.resolve(), registry_root.resolve()
        if resolved == root or resolved in root.parents:
            raise OutputHoldsRegistry(path=directory)
        for inside in (root, git_directory(root)):  # with or without --force: the site replaces the folder
            if inside is not None and (resolved == inside.resolve() or inside.resolve() in resolved.parents):
                raise OutputInsideRegistry(path=directory, inside=inside)
    if directory.is_dir() and any(directory.iterdir()) and not (directory / MARKER).is_file() and not force:
        raise OutputNotAReport(path=directory)


def write_site(model: ReportModel, directory: Path, *, registry_root: Path | None = None, force: bool = False
               ) -> SiteSummary:
    """Write the site to a new folder beside `directory`, then swap it in (the old report is removed last)."""
    _check_target(directory, registry_root, force)
    written: list[str] = []
    parent = directory.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".building", dir=parent))
    try:
        for relpath, html in render_site(model):
            target = building / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
            written.append(relpath)
        assets = building / "assets"
        assets.mkdir()
        for name in ASSETS:
            shutil.copyfile(HERE / "assets" / name, assets / name)
        (building / MARKER).write_text(json.dumps({"generator": "charter report", "version": __version__}) + "\n",
                                       encoding="utf-8")
        building.chmod(0o755)  # mkdtemp makes it private; a published site must be readable
        _swap(building, directory.resolve())
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return SiteSummary(directory, sorted(written))


def _swap(building: Path, directory: Path) -> None:
    """Move the new site into place: the old one is renamed aside first, and deleted only once the new one is in."""
    if not directory.exists():
        building.rename(directory)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".old", dir=directory.parent))
    old.rmdir()
    directory.rename(old)
    try:
        building.rename(directory)
    except BaseException:
        old.rename(directory)
        raise
    shutil.rmtree(old, ignore_errors=True)
