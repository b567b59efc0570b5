"""The steering committee pack as one HTML file, an A4 landscape PDF, and its charts as PNG files.

The HTML is rendered by Jinja2 with autoescaping, so every value of the user's (notes, owners,
evidence, titles) is text; the charts are the one part marked safe, as plotly writes them.
It works offline: plotly.js is inlined once, with the first chart.

The PDF is the same page with static SVG charts, printed by Chromium (Page.printToPDF over the
DevTools protocol) in the browser kaleido already starts for the charts: one browser per pack,
no other dependency. Where no Chromium is found the PDF and PNG parts raise ReportError.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import os
import queue
import tempfile
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import jinja2
import kaleido
import pandas as pd
import plotly.graph_objects as go
from choreographer.errors import ChannelClosedError, ChromeNotFoundError
from kaleido.errors import KaleidoError
from markupsafe import Markup, escape

from rollout import charts, committee, readiness, timeline
from rollout.assurance import CONFORMANT, STAGE2
from rollout.fileio import atomic_write_bytes
from rollout.gates import RULE
from rollout.plan import EDITION_NAMES
from rollout.summary import IMPLEMENTED, PROGRESS
from rollout.values import STATUS_LABELS

T = TypeVar("T")
FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}
LIST_LIMIT = 15  # rows per list in the pack's body; its appendix and the page show them all
CLAUSE_DEPTH = 1  # the clause table and bars go down to the second level (4.1, 4.2, ...)
CHART_WIDTH = 1000  # px: the width of an A4 landscape page's text
CLAUSE_LABEL_WIDTH = 70  # characters: the page has room for a clause's name on one line
PNG_SCALE = 2
PRINT_TIMEOUT = 60.0  # seconds to load the page before printing
CHART_TITLES = {
    "burnup": "Burn-up: done effort against the plan, with the forecast",
    "status": "Tasks by status in each stage",
    "radar": "Readiness of the main clauses",
    "clauses": "Readiness by clause",
}
# Page.printToPDF takes portrait paper sizes and turns them with landscape.
A4_LANDSCAPE = {"paperWidth": 8.27, "paperHeight": 11.69, "landscape": True}
# Chromium's header and footer templates: page numbers go into the pageNumber and totalPages spans.
MARGIN_STYLE = (
    "font-size:9px;width:100%;padding:0 12mm;box-sizing:border-box;display:flex;gap:12px;"
    "color:#5f6368;font-family:Arial,sans-serif"
)
HEADER = (
    """<div style="{{ style }}"><span style="flex:1">Steering committee pack · clauses of {{ edition }}</span></div>"""
)
# The organisation may wrap onto a second line (the margin holds two), never cut; the page number never wraps.
FOOTER = """<div style="{{ style }}">
<span style="flex:1">{{ organisation }} · {{ day }}</span>
<span style="white-space:nowrap">Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>"""
Step = Callable[[str], None]


class ReportError(Exception):
    """The pack cannot be written: an unknown file type, or no working Chromium for the PDF or PNGs."""


def _quiet(_: str) -> None:
    """The default progress reporter: says nothing."""


def format_of(path: str | Path) -> str:
    """'html' or 'pdf', from the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"{path}: the pack is written as .html or .pdf, not {suffix or 'a file without extension'!r}")
    return FORMATS[suffix]


# charts ------------------------------------------------------------------------
def pack_figures(pack: committee.Pack) -> dict[str, go.Figure]:
    """The pack's charts by name, in the order they appear."""
    return {
        "burnup": charts.build_burnup_figure(pack.weekly, pack.forecast),
        "status": charts.build_status_figure(pack.counts),
        "radar": charts.build_radar_figure(pack.clauses, edition=pack.edition),
        "clauses": charts.build_clause_figure(
            pack.clauses, depth=CLAUSE_DEPTH, edition=pack.edition, label_width=CLAUSE_LABEL_WIDTH
        ),
    }


def _interactive(figures: dict[str, go.Figure]) -> dict[str, Markup]:
    """Each chart as an HTML fragment; plotly.js is inlined with the first one only."""
    return {
        name: Markup(
            fig.to_html(full_html=False, include_plotlyjs=i == 0, config={"displaylogo": False, "responsive": True})
        )
        for i, (name, fig) in enumerate(figures.items())
    }


def _image_options(fig: go.Figure, fmt: str) -> dict[str, Any]:
    scale = PNG_SCALE if fmt == "png" else 1
    return {"format": fmt, "width": CHART_WIDTH, "height": fig.layout.height or 480, "scale": scale}


# HTML --------------------------------------------------------------------------
def _day(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d %b %Y}"


def _is_http_url(value: Any) -> bool:
    parsed = urlparse(str(value).strip())
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters |= {
        "day": _day,
        "percent": readiness.percent_text,
        "rag": readiness.rag,
        "band": readiness.band_word,
        "status": lambda code: STATUS_LABELS.get(code, code),
        "sentence": lambda text: text[:1].upper() + text[1:],
        "rows": lambda frame: frame.head(LIST_LIMIT).to_dict("records"),
        "every": lambda frame: frame.to_dict("records"),
    }
    env.tests["http_url"] = _is_http_url
    env.globals |= {"change": committee.change_text, "limit": LIST_LIMIT}
    return env


def _document(pack: committee.Pack, charts_: dict[str, Any], static: bool) -> str:
    """The pack's page; charts are HTML fragments, or image data URIs when ``static``."""
    clauses = pack.changes.clauses
    return (
        _environment()
        .get_template("committee.html.j2")
        .render(
            pack=pack,
            charts=charts_,
            static=static,
            titles=CHART_TITLES,
            clause_rows=clauses[clauses["depth"] <= CLAUSE_DEPTH].to_dict("records"),
            edition_name=EDITION_NAMES[pack.edition],
            names={"progress": PROGRESS, "implemented": IMPLEMENTED, "conformant": CONFORMANT, "stage2": STAGE2},
            gate_rule=RULE,
            bands=readiness.bands_sentence(),
            burnup_caption=charts.burnup_caption(pack.forecast),
            forecast_paragraph=_forecast_html(pack.forecast),
        )
    )


def _forecast_html(forecast: timeline.Forecast) -> Markup:
    """The forecast in the words the pages use, its key figures in bold; every part of it escaped."""
    text = str(escape(forecast.paragraph(_day, strong=lambda part: f"[[{part}]]")))
    return Markup(text.replace("[[", "<strong>").replace("]]", "</strong>"))


def build_html(pack: committee.Pack, step: Step = _quiet) -> str:
    """The pack as one self-contained HTML page with interactive charts; needs no browser."""
    step("Drawing the charts")
    return _document(pack, _interactive(pack_figures(pack)), static=False)


# Chromium: static charts and the PDF -------------------------------------------
def _in_chromium(job: Callable[[Step], Coroutine[Any, Any, T]], step: Step) -> T:
    """Run a job that drives Chromium; a missing or failing browser becomes a ReportError.

    The job runs in a thread of its own (the caller may already run an event loop: a page, a
    test's browser), but its steps are reported on the caller's thread: a page's status box
    can only be written from the page's own script thread.
    """
    said: queue.SimpleQueue[str] = queue.SimpleQueue()
    try:
        with ThreadPoolExecutor(1) as worker:
            future = worker.submit(asyncio.run, job(said.put))
            while not future.done() or not said.empty():
                try:
                    step(said.get(timeout=0.05))
                except queue.Empty:
                    continue
            return future.result()
    except ChromeNotFoundError:
        where = f" at BROWSER_PATH={os.environ['BROWSER_PATH']!r}" if os.environ.get("BROWSER_PATH") else ""
        raise ReportError(
            f"the PDF and the PNG charts are drawn by Chromium, and none was found{where}: install it "
            "(Debian: apt-get install chromium) or set BROWSER_PATH to a Chromium or Chrome program. "
            "The HTML pack needs no browser."
        ) from None
    except (RuntimeError, KaleidoError, TimeoutError, ChannelClosedError) as exc:
        raise ReportError(f"Chromium failed while drawing the pack: {exc or type(exc).__name__}") from None


async def _images(browser: kaleido.Kaleido, figures: dict[str, go.Figure], fmt: str) -> dict[str, bytes]:
    return {name: await browser.calc_fig(fig, opts=_image_options(fig, fmt)) for name, fig in figures.items()}


async def _print(browser: kaleido.Kaleido, document: str, header: str, footer: str) -> bytes:
    """Print a page to an A4 landscape PDF with the given header and footer."""
    with tempfile.TemporaryDirectory(prefix="rollout-pack-") as folder:
        page = Path(folder) / "pack.html"
        page.write_text(document, encoding="utf-8")
        tab = await browser.create_tab()
        await tab.send_command("Page.enable")
        loaded = tab.subscribe_once("Page.loadEventFired")
        await tab.send_command("Page.navigate", params={"url": page.as_uri()})
        await asyncio.wait_for(loaded, PRINT_TIMEOUT)
        answer = await tab.send_command(
            "Page.printToPDF",
            params={
                **A4_LANDSCAPE,
                "printBackground": True,
                "preferCSSPageSize": False,
                "marginTop": 0.6,
                "marginBottom": 0.55,
                "marginLeft": 0.45,
                "marginRight": 0.45,
                "displayHeaderFooter": True,
                "headerTemplate": header,
                "footerTemplate": footer,
            },
        )
    if "error" in answer:
        raise ReportError(f"Chromium could not print the pack: {answer['error'].get('message', answer['error'])}")
    return base64.b64decode(answer["result"]["data"])


def _margins(pack: committee.Pack) -> tuple[str, str]:
    """The PDF's running header and footer, escaped like the page."""
    env = _environment()
    header = env.from_string(HEADER).render(style=MARGIN_STYLE, edition=EDITION_NAMES[pack.edition])
    return header, env.from_string(FOOTER).render(
        style=MARGIN_STYLE, organisation=pack.organisation, day=_day(pack.today)
    )


async def _pdf_job(
    pack: committee.Pack, figures: dict[str, go.Figure], png: bool, step: Step
) -> tuple[bytes, dict[str, bytes]]:
    async with kaleido.Kaleido(mathjax=False) as browser:
        step("Drawing the charts as images")
        svgs = await _images(browser, figures, "svg")
        pngs = await _images(browser, figures, "png") if png else {}
        uris = {name: "data:image/svg+xml;base64," + base64.b64encode(svg).decode() for name, svg in svgs.items()}
        step("Printing the PDF")
        return await _print(browser, _document(pack, uris, static=True), *_margins(pack)), pngs


async def _png_job(figures: dict[str, go.Figure], step: Step) -> dict[str, bytes]:
    async with kaleido.Kaleido(mathjax=False) as browser:
        step("Drawing the charts as PNG images")
        return await _images(browser, figures, "png")


def build_pdf(pack: committee.Pack, step: Step = _quiet, png: bool = False) -> tuple[bytes, dict[str, bytes]]:
    """The pack as an A4 landscape PDF, and the charts as PNG images when ``png``; one browser for all."""
    figures = pack_figures(pack)
    return _in_chromium(lambda said: _pdf_job(pack, figures, png, said), step)


def build_pngs(pack: committee.Pack, step: Step = _quiet) -> dict[str, bytes]:
    """The pack's charts as PNG images, by name."""
    figures = pack_figures(pack)
    return _in_chromium(lambda said: _png_job(figures, said), step)


# files -------------------------------------------------------------------------
def render(pack: committee.Pack, fmt: str, step: Step = _quiet) -> bytes:
    """The pack's file contents in a format of ``FORMATS`` ('html' or 'pdf')."""
    return build_html(pack, step).encode("utf-8") if fmt == "html" else build_pdf(pack, step)[0]


def _write_pngs(folder: str | Path, images: dict[str, bytes]) -> list[Path]:
    """Each image as NAME.png in ``folder``, made if missing."""
    paths = [Path(folder) / f"{name}.png" for name in images]
    for path, data in zip(paths, images.values(), strict=True):
        atomic_write_bytes(path, data)
    return paths


def write_report(
    path: str | Path, pack: committee.Pack, png_dir: str | Path | None = None, step: Step = _quiet
) -> list[Path]:
    """Write the pack to ``path`` (.html or .pdf) and its charts into ``png_dir``; returns the files written.

    The HTML is written first, so that it is there even when Chromium then fails on the PNGs.
    """
    fmt = format_of(path)
    if fmt == "pdf":
        pdf, pngs = build_pdf(pack, step, png=png_dir is not None)
        atomic_write_bytes(path, pdf)
    else:
        atomic_write_bytes(path, build_html(pack, step).encode("utf-8"))
        try:
            pngs = build_pngs(pack, step) if png_dir is not None else {}
        except ReportError as exc:
            raise ReportError(f"wrote {path}, but not the PNG charts: {exc}") from None
    return [Path(path), *(_write_pngs(png_dir, pngs) if png_dir is not None else [])]


def file_name(pack: committee.Pack, fmt: str) -> str:
    """The pack's download name: steering-committee-pack-2026-11-28.pdf."""
    return f"steering-committee-pack-{pack.today:%Y-%m-%d}.{fmt}"
