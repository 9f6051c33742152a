"Ce que partagent les tests dans un vrai navigateur : Chromium du système, piloté par Playwright."
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # paquet Debian `chromium` (`make chromium` l'installe) ; pas de `playwright install`
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    "Un Chromium sans écran, un par module de test ; le test est sauté si Chromium manque."
    if not CHROMIUM.exists(): pytest.skip("/usr/bin/chromium absent (`make test` l'installe : `make chromium`)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
