"""A hostile spreadsheet uploaded in the browser: the page refuses it, names why, and the server stays up."""

from __future__ import annotations

import urllib.request

import pytest
from e2e_helpers import screenshot, sidebar_to, wait_ready
from test_hostile_files import HOSTILE

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", ["far_cell_single_quotes.xlsx", "shared_string_copied_300_times.xlsx"])
def test_a_hostile_upload_is_refused_and_the_server_keeps_serving(app_server, page, tmp_path, name):
    url, _ = app_server
    write, says = HOSTILE[name]
    path = write(tmp_path / name)
    page.goto(url)
    wait_ready(page)
    sidebar_to(page, "Import")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    refusal = page.locator('[data-testid="stAlertContentError"]')
    refusal.wait_for(timeout=60_000)
    assert name in refusal.inner_text() and says in refusal.inner_text()
    screenshot(page, f"Import-hostile-{path.stem}")
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as answer:
        assert answer.status == 200
    sidebar_to(page, "Overview")
    assert page.get_by_role("heading", name="Rollout overview").is_visible()
