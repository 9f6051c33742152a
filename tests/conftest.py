"""Ce que partagent les tests : le cache de compilation coupé (durées indépendantes des lancements précédents) ;
dans un vrai navigateur, Chromium du système, piloté par Playwright."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("DALLE_MINI_NB_COMPILE_CACHE", "0")  # hérité par les sous-processus (commandes, serveurs, noyaux)

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
