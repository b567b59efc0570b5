"""The steering committee pack as files: HTML (offline, escaped), PDF (A4 landscape) and PNG charts.

The PDF and PNG tests need Chromium (Debian's, or BROWSER_PATH): skipped with the reason
printed where it is missing, and failed under CI=true, as the browser tests are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import threading
from pathlib import Path

import plotly
import pytest
from markupsafe import escape
from pypdf import PdfReader
from support import DEMO_TODAY

from rollout import charts, committee, readiness, report, timeline
from rollout.cli import main
from rollout.plan import load_plan
from rollout.stores.files import FileStore

ORGANISATION = "Northwind Managed Services Ltd"
SECTIONS = ["standing", "decisions", "decided", "forecast", "gates", "changes", "risks", "clauses"]
PLOTLY_JS = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:300]


@pytest.fixture
def data(demo_data, monkeypatch):
    monkeypatch.setenv("ROLLOUT_DATA", str(demo_data))
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    return demo_data


@pytest.fixture(scope="module")
def chromium() -> None:
    path = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        reason = f"no Chromium at {path} (apt-get install chromium, or set BROWSER_PATH): PDF and PNG tests skipped"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}, but under CI=true they must run")
        print(reason)
        pytest.skip(reason)


def pack_of(folder: Path, since: str | None = None) -> committee.Pack:
    plan = load_plan(Path(__file__).resolve().parent.parent / "phases")
    store = FileStore(folder, plan)
    today = dt.date.fromisoformat(DEMO_TODAY)
    table = readiness.task_table(plan, store.load().progress)
    records = store.load().records
    return committee.build_pack(
        plan, table, store.history(), today, committee.since_date(since, today), records=records
    )


def test_the_html_pack_holds_every_section_and_chart_and_works_offline(data, tmp_path, capsys):
    assert main(["report", str(tmp_path / "pack.html")]) == 0
    assert "changes since 2026-10-29" in capsys.readouterr().out
    html = (tmp_path / "pack.html").read_text()
    for section in SECTIONS:
        assert f'<section id="{section}"' in html
    assert html.count('class="plotly-graph-div"') == 4
    assert html.count(PLOTLY_JS) == 1, "plotly.js is inlined once, with the first chart"
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html), "nothing is fetched"
    assert ORGANISATION in html and "Leeds" in html and "28 Nov 2026" in html and "29 Oct 2026" in html
    assert "@page { size: A4 landscape" in html
    assert f"Decisions needed ({len(pack_of(data).decisions)})" in html


def test_the_pack_writes_the_band_word_beside_its_colour(data):
    html = report.build_html(pack_of(data))
    assert '<span class="badge amber">medium</span>' in html  # 60 %: the colour is the class, the word is read
    assert ">amber<" not in html and readiness.bands_sentence() in html


def test_the_pack_draws_legends_below_and_its_caption_says_what_the_burnup_draws(data):
    pack = pack_of(data)
    figures = report.pack_figures(pack)
    for name, fig in figures.items():
        assert fig.layout.legend.orientation is None, f"{name}: the theme's legend, below the plot"
    second = pack.clauses[pack.clauses["depth"] == report.CLAUSE_DEPTH]
    # the printed page has room for each clause's name on one line: the bars fit one page
    assert list(figures["clauses"].layout.yaxis.categoryarray) == list(second["id"] + " " + second["title"])
    html = report.build_html(pack)
    assert f'<p class="note">{charts.burnup_caption(pack.forecast)}</p>' in html
    assert "The orange line runs from today to the likely finish" in html  # an operating period decides all three
    assert "earliest, likely and latest" not in html and "orange lines" not in html
    assert html.count(timeline.FORECAST_CAVEAT) == 1  # with the forecast's paragraph, once


def test_the_pack_lists_in_full_what_it_cuts_short_and_sends_no_one_to_the_app(data):
    """A reader of the printed pack may not have the tracker: every list cut short is in the appendix."""
    pack = pack_of(data)
    html = report.build_html(pack)
    body, appendix = html.split('<section id="appendix"')
    long = {"path": pack.critical_path}  # the demo's one list longer than the limit: 18 tasks
    assert [len(frame) > report.LIST_LIMIT for frame in (pack.decisions, pack.blocked, pack.overdue)] == [False] * 3
    for name, frame in long.items():
        assert f'all {len(frame)} are listed in <a href="#all-{name}">the appendix</a>' in body
        assert f'<h3 id="all-{name}">' in appendix
        assert all(f'<td class="id">{tid}</td>' in appendix for tid in frame["task_id"])
        assert sum(f'<td class="id">{tid}</td>' in body for tid in frame["task_id"]) == report.LIST_LIMIT
    assert "Steering committee page" not in html and "full list" not in html


def test_the_pack_says_what_is_known_of_a_blocked_task(data):
    """Blocked, with the task's note as the reason: not a guess that something outside the team holds it up."""
    pack = pack_of(data)
    html = report.build_html(pack)
    assert "waiting on something" not in html and "outside the team" not in html
    assert "<th>Reason given (the task's note)</th>" in html
    for note in pack.blocked["notes"]:
        assert str(escape(note)) in html


def test_user_text_is_escaped_and_only_web_addresses_are_links(data, tmp_path):
    plan = load_plan(Path(__file__).resolve().parent.parent / "phases")
    at = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    FileStore(data, plan).save(
        {
            "P2.15": {"notes": "<script>alert('note')</script>", "owner": "R&D <b>lead</b>"},  # blocked: listed
            "P2.09": {"status": "done", "evidence": "javascript:alert(1)"},
            "P2.10": {"status": "done", "evidence": 'https://example.org/a?b=1&c="2"'},
        },
        None,
        by="Tester",
        source="ui",
        at=at,
    )
    html = report.build_html(pack_of(data))
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt;" in html
    assert "R&amp;D &lt;b&gt;lead&lt;/b&gt;" in html and "<b>lead</b>" not in html
    assert 'href="javascript' not in html and "<td>javascript:alert(1)</td>" in html
    assert '<a href="https://example.org/a?b=1&amp;c=&#34;2&#34;">' in html


def test_the_cli_refuses_what_it_cannot_write(data, tmp_path, capsys):
    assert main(["report", str(tmp_path / "pack.docx")]) == 1
    assert "written as .html or .pdf, not '.docx'" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "pack.html"), "--since", "2026-12-01"]) == 1
    assert "2026-12-01, is after today, 2026-11-28" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "pack.html"), "--since", "yesterday"]) == 1
    assert "not a date; expected YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["report"])
    assert usage.value.code == 2
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_without_chromium_the_pdf_fails_clearly_and_the_html_is_still_written(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    assert main(["report", str(tmp_path / "pack.pdf")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the PDF and the PNG charts are drawn by Chromium, and none was found at BROWSER_PATH")
    assert "apt-get install chromium" in err and "Traceback" not in err and not (tmp_path / "pack.pdf").exists()
    assert main(["report", str(tmp_path / "pack.html"), "--png", str(tmp_path / "png")]) == 1
    assert "wrote " in capsys.readouterr().err and (tmp_path / "pack.html").exists()
    assert not (tmp_path / "png").exists()


def test_the_pdf_is_a4_landscape_with_organisation_date_and_page_numbers(chromium, data, tmp_path, capsys):
    pdf, pngs = tmp_path / "pack.pdf", tmp_path / "charts"
    assert main(["report", str(pdf), "--since", "2026-11-01", "--png", str(pngs)]) == 0
    assert "wrote 4 charts" in capsys.readouterr().out
    pages = PdfReader(pdf).pages
    assert len(pages) >= 6
    millimetres = {
        (round(float(p.mediabox.width) / 72 * 25.4), round(float(p.mediabox.height) / 72 * 25.4)) for p in pages
    }
    assert millimetres == {(297, 210)}
    texts = [p.extract_text() for p in pages]
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {len(pages)}" in text
        assert f"{ORGANISATION} · 28 Nov 2026" in text  # the footer: who and when, not a cut scope
        assert "Steering committee pack · clauses of ISO/IEC 20000-1:2018 with Amendment 1:2024" in text
    everything = "\n".join(texts)
    for heading in ["Where the rollout stands", "Decisions needed", "Stage gates", "What changed since 01 Nov 2026",
                    "Top risks", "Critical path", "Readiness by clause"]:  # fmt: skip
        assert heading in everything
    for name in ["burnup", "status", "radar", "clauses"]:
        assert (pngs / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_long_organisation_name_wraps_in_the_footer_and_is_never_cut(chromium, data):
    name = "Northwind Managed Services Ltd, Infrastructure Hosting, Network and Service Desk Division (UK and Ireland)"
    pdf = report.render(dataclasses.replace(pack_of(data), organisation=name), "pdf")
    first = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert f"{name} · 28 Nov 2026" in first and "Page 1 of" in first


def test_the_page_builds_the_pdf_in_memory_with_its_steps_told_on_its_own_thread(chromium, data):
    """A page can write to its status box only from its script thread (the cause of NoSessionContext)."""
    steps: list[tuple[str, int]] = []
    pack = pack_of(data)
    pdf = report.render(pack, "pdf", step=lambda text: steps.append((text, threading.get_ident())))
    assert pdf.startswith(b"%PDF-")
    here = threading.get_ident()
    assert steps == [("Drawing the charts as images", here), ("Printing the PDF", here)]
    assert report.file_name(pack, "pdf") == "steering-committee-pack-2026-11-28.pdf"
