"""Le générateur interactif (09a_widgets) dans un vrai navigateur.

Voilà sert, sur 127.0.0.1 (port libre), un petit notebook écrit par le test : `generator()` autour du
pipeline miniature livré (`DalleMini.from_pretrained("miniature")`). Chromium, piloté par Playwright
(`/usr/bin/chromium`, jamais `playwright install`), tape un prompt, règle le nombre de candidats et
d'images gardées, clique sur « Générer », attend les images et compte les `<img>` réellement affichées
(largeur naturelle > 0) ; puis vide le prompt, clique, et attend le message d'erreur dans le widget.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "from dalle_mini_nb.widgets import generator\ngenerator()"
TIMEOUT_MS = 150_000  # chargement de JAX, des poids, et première compilation dans le noyau de Voilà
VISIBLE_IMAGES = """() => [...document.querySelectorAll('.dalle-gallery img')]
                        .filter(i => i.complete && i.naturalWidth > 0).length"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    "Attend que Voilà écoute sur `port` ; échoue avec son journal s'il s'arrête ou tarde trop."
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: pytest.fail(f"Voilà s'est arrêté (code {proc.returncode}) :\n{log.read_text()[-4000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0: return
        time.sleep(0.3)
    pytest.fail(f"Voilà n'écoute pas après {timeout} s :\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    "Voilà sur 127.0.0.1, sans jeton, qui sert le notebook du générateur ; rend (url, journal)."
    d = tmp_path_factory.mktemp("voila")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, d / "generateur.ipynb")
    port, log = free_port(), d / "voila.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "HF_HUB_OFFLINE": "1", "JUPYTER_RUNTIME_DIR": str(d / "runtime")}
    cmd = [sys.executable, "-m", "voila", "generateur.ipynb", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
           "--Voila.token=", "--show_tracebacks=True"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=d, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_port(port, proc, log)
        yield url, log
    finally:
        proc.terminate()
        try: proc.wait(15)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait(5)


def test_generator_in_browser(voila, browser):
    "Prompt tapé, 6 candidats, 3 gardées, clic : 3 images affichées ; prompt vide : le message d'erreur, aucune image."
    url, log = voila
    t0 = time.time()
    page = browser.new_page()
    outside, errors = [], []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((url, "data:", "blob:"))
               else (outside.append(r.request.url), r.abort()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, timeout=TIMEOUT_MS)
    prompt = page.locator(".dalle-prompt input")
    prompt.wait_for(timeout=TIMEOUT_MS)
    prompt.fill("un grand carré bleu au centre")
    for cls, value in ((".dalle-candidates", "6"), (".dalle-top", "3")):
        box = page.locator(f"{cls} input")
        box.fill(value); box.press("Enter")  # les champs numériques envoient leur valeur à la validation
    page.locator(".dalle-generate").click()
    page.wait_for_function(f"() => ({VISIBLE_IMAGES})() === 3", timeout=TIMEOUT_MS)
    first = time.time() - t0
    assert page.evaluate(VISIBLE_IMAGES) == 3, "le nombre d'images affichées doit être `top`"
    assert page.locator(".dalle-gallery img").count() == 3
    page.wait_for_function("() => document.querySelector('.dalle-message').innerText.includes('3 image(s)')", timeout=30_000)
    assert "n° 1 · " in page.locator(".dalle-gallery").inner_text()

    prompt.fill("")
    page.locator(".dalle-generate").click()
    page.wait_for_function("() => document.querySelector('.dalle-message').innerText.includes('prompt vide')", timeout=60_000)
    assert page.locator(".dalle-gallery img").count() == 0
    assert "Traceback" not in page.content(), "une erreur doit s'afficher en message, pas en trace Python"
    # le gabarit « lab » de Voilà met en dur deux feuilles de style Font Awesome d'un CDN : bloquées, sans effet ici
    outside = [u for u in outside if "fontawesome-free" not in u]
    assert not outside, f"requêtes hors de la machine : {outside}"
    assert not errors, errors
    print(f"\n[widgets] page + première génération : {first:.1f} s ; en tout {time.time() - t0:.1f} s")
