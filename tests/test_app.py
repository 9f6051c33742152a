"""L'application web (10_app) dans de vrais processus, sur 127.0.0.1.

Le backend est lancé par la commande `python -m dalle_mini_nb.app serve` (pipeline miniature livré) sur un
port libre. On lui envoie de vraies requêtes HTTP : valides (images PNG décodées, scores classés, mêmes
images pour la même requête), invalides (champs absents, mauvais types, prompt énorme, n hors bornes,
JSON cassé, corps trop gros, mauvaise méthode), huit requêtes à la fois (chacune reçoit exactement ce
qu'elle aurait reçu seule) et une file qui déborde (503, puis le serveur répond toujours).

L'interface Gradio est lancée par `python -m dalle_mini_nb.app --backend URL` (puis, seconde fois, sans
`--backend` : avec son propre pipeline), puis pilotée dans Chromium
headless (Playwright, `/usr/bin/chromium`) : prompt tapé, réglages, clic, la galerie montre `top` images ;
prompt vide : le message d'erreur. Toute requête vers l'extérieur est notée : celles du navigateur par
Playwright, celles des processus Python par un faux proxy (HTTP(S)_PROXY) qui enregistre et coupe.
"""
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dalle_mini_nb.app import BackendError, generate_remote, image_from_base64

ROOT = Path(__file__).resolve().parents[1]
MAX_N, MAX_QUEUE = 16, 8  # bornes données au backend du test
TIMEOUT_MS = 120_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProxyRecorder:
    "Faux proxy sur 127.0.0.1 : note la première ligne de chaque requête qu'on lui confie, puis coupe."

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url, self.seen = f"http://127.0.0.1:{self.sock.getsockname()[1]}", []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try: conn, _ = self.sock.accept()
            except OSError: return
            with conn:
                conn.settimeout(2)
                try: self.seen.append(conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1"))
                except OSError: pass

    def env(self) -> dict:
        "Variables d'environnement qui envoient tout le trafic sortant (sauf la boucle locale) ici."
        return {k: self.url for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")} | \
               {"NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1"}


def start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "-m", "dalle_mini_nb.app", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try: proc.wait(15)
    except subprocess.TimeoutExpired: proc.kill(); proc.wait(5)


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    "Attend que `url` réponde ; échoue avec le journal du processus s'il s'arrête ou tarde trop."
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: pytest.fail(f"le processus s'est arrêté (code {proc.returncode}) :\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2): return
        except urllib.error.HTTPError: return  # il répond
        except OSError: time.sleep(0.3)
    pytest.fail(f"{url} ne répond pas après {timeout} s :\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def proxy():
    p = ProxyRecorder()
    yield p
    p.sock.close()


@pytest.fixture(scope="module")
def env(tmp_path_factory, proxy):
    d = tmp_path_factory.mktemp("app")
    return {**os.environ, **proxy.env(), "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(d / "gradio"),
            "MPLCONFIGDIR": str(d / "mpl")}


@pytest.fixture(scope="module")
def backend(tmp_path_factory, env):
    "Le backend (`serve`) sur 127.0.0.1, port libre : rend son URL."
    log, port = tmp_path_factory.mktemp("backend") / "backend.log", free_port()
    proc = start(["serve", "--host", "127.0.0.1", "--port", str(port), "--max-n", str(MAX_N), "--max-queue", str(MAX_QUEUE)], log, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health", proc, log)
        yield url
    finally:
        stop(proc)


def request(url: str, path: str, body=None, method: str = "POST", headers=None, chunks=None) -> tuple[int, dict, dict]:
    "Une requête HTTP brute (http.client) : (statut, JSON de la réponse, en-têtes)."
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        if chunks is not None:  # corps envoyé par morceaux, sans Content-Length
            conn.putrequest(method, path)
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for c in chunks: conn.send(b"%x\r\n%s\r\n" % (len(c), c))
            conn.send(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        r = conn.getresponse()
        raw = r.read()
        assert r.getheader("content-type", "").startswith("application/json"), (r.status, raw[:200])
        return r.status, json.loads(raw), dict(r.getheaders())
    finally:
        conn.close()


def post_json(url: str, payload: dict) -> tuple[int, dict]:
    status, out, _ = request(url, "/generate", json.dumps(payload).encode())
    return status, out


def decoded(out: dict) -> list[np.ndarray]:
    return [np.asarray(image_from_base64(x["png"])) for x in out["images"]]


# --- le backend ---------------------------------------------------------------------------------

def test_health(backend):
    status, out, _ = request(backend, "/health", method="GET")
    assert status == 200 and out["status"] == "ok" and out["model"] == "miniature"
    assert out["limits"]["max_n"] == MAX_N and out["limits"]["max_queue"] == MAX_QUEUE


def test_generate_valid(backend):
    "Images PNG 64×64 décodées, rangs 1…top, scores décroissants, durées ; même requête → mêmes images."
    payload = {"prompt": "un cercle rouge à gauche d'un carré bleu", "n": 4, "top": 3, "seed": 5, "temperature": 1.0,
               "top_k": 50, "condition_scale": 1.0}
    status, out = post_json(backend, payload)
    assert status == 200, out
    assert (out["n"], out["top"], out["seed"], out["model"]) == (4, 3, 5, "miniature")
    assert [x["rank"] for x in out["images"]] == [1, 2, 3]
    scores = [x["score"] for x in out["images"]]
    assert scores == sorted(scores, reverse=True) and all(np.isfinite(scores))
    imgs = decoded(out)
    assert all(i.shape == (64, 64, 3) and i.dtype == np.uint8 for i in imgs)
    assert out["seconds"] > 0 and set(out["timings"]) == {"texte", "codes", "images", "CLIP"} and out["queued_seconds"] >= 0
    status, again = post_json(backend, payload)
    assert status == 200 and [x["score"] for x in again["images"]] == scores
    assert all(np.array_equal(a, b) for a, b in zip(decoded(again), imgs))
    res = generate_remote(backend, payload["prompt"], n=4, top=3, seed=5, temperature=1.0, top_k=50, condition_scale=1.0)
    assert [s for _, s in res] == scores and all(np.array_equal(np.asarray(a), b) for a, b in zip(res.images, imgs))
    status, default = post_json(backend, {"prompt": "un carré vert"})  # seuls les champs obligatoires : n = 8, top = 4
    assert status == 200 and (default["n"], default["top"]) == (8, 4), default


INVALID = {  # nom : (corps, statut, mots attendus dans le message)
    "sans prompt": (b'{"n": 4}', 422, "prompt : champ obligatoire absent"),
    "corps vide": (b"", 400, "corps vide"),
    "JSON cassé": (b'{"prompt": "un carr', 400, "JSON illisible"),
    "pas du JSON": (b"prompt=un+carre", 400, "JSON illisible"),
    "NaN": (b'{"prompt": "x", "temperature": NaN}', 422, "temperature : un nombre fini est attendu"),
    "pas un objet": (b'["un carre"]', 422, "objet JSON"),
    "prompt nombre": (b'{"prompt": 12}', 422, "prompt : un texte est attendu"),
    "prompt liste": (b'{"prompt": ["a", "b"]}', 422, "prompt : un texte est attendu"),
    "n texte": (b'{"prompt": "x", "n": "4"}', 422, "n : un entier est attendu"),
    "n décimal": (b'{"prompt": "x", "n": 4.5}', 422, "n : un entier est attendu"),
    "n booléen": (b'{"prompt": "x", "n": true}', 422, "n : un entier est attendu"),
    "n nul": (b'{"prompt": "x", "n": 0}', 422, "n : doit être ≥ 1"),
    "n trop grand": (b'{"prompt": "x", "n": 17}', 422, f"n : doit être ≤ {MAX_N}"),
    "n énorme": (b'{"prompt": "x", "n": 1000000000000}', 422, f"n : doit être ≤ {MAX_N}"),
    "top > n": (b'{"prompt": "x", "n": 2, "top": 3}', 422, "top = 3"),
    "graine négative": (b'{"prompt": "x", "seed": -1}', 422, "seed : doit être ≥ 0"),
    "température texte": (b'{"prompt": "x", "temperature": "chaud"}', 422, "temperature : un nombre est attendu"),
    "température nulle": (b'{"prompt": "x", "temperature": 0}', 422, "temperature : doit être > 0"),
    "champ inconnu": (b'{"prompt": "x", "temperatur": 1.0}', 422, "temperatur : champ inconnu"),
    "prompt énorme": (json.dumps({"prompt": "un carré rouge " * 700}).encode(), 422, "texte trop long : au plus 500 caractères"),
    "prompt vide": (b'{"prompt": ""}', 422, "prompt : texte vide"),
    "prompt blanc": (b'{"prompt": "   "}', 422, "prompt vide"),
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_requests(backend, name):
    "Chaque requête invalide : le bon statut, un JSON `{error, status, details}` en français, rien de généré."
    body, expected, words = INVALID[name]
    status, out, _ = request(backend, "/generate", body)
    assert status == expected, out
    assert out["status"] == expected and words in out["error"], out["error"]
    assert "images" not in out and "Traceback" not in out["error"]


def test_oversized_bodies(backend):
    "413 pour un corps trop gros : annoncé (Content-Length), envoyé par morceaux, ou très gros ; le serveur tient."
    big = json.dumps({"prompt": "x" * 100_000}).encode()
    status, out, head = request(backend, "/generate", big)
    assert status == 413 and "au plus 16384 octets" in out["error"], out
    status, out, _ = request(backend, "/generate", chunks=[big[i:i + 8192] for i in range(0, len(big), 8192)])
    assert status == 413 and out["status"] == 413
    try:  # 5 Mo annoncés : refusé sans être lu (le client peut voir la connexion coupée pendant l'envoi)
        status, out, _ = request(backend, "/generate", b"{" + b" " * 5_000_000 + b"}")
        assert status == 413
    except (ConnectionError, http.client.HTTPException):
        pass
    assert request(backend, "/health", method="GET")[0] == 200


def test_wrong_route_and_method(backend):
    status, out, _ = request(backend, "/generate", method="GET")
    assert (status, out["status"]) == (405, 405) and "POST /generate" in out["error"]
    status, out, _ = request(backend, "/fichier?path=/etc/passwd", method="GET")
    assert status == 404 and "route inconnue" in out["error"]


PROMPTS = ["un cercle rouge", "un carré bleu", "un triangle vert", "un petit cercle jaune", "un grand carré rouge",
           "un cercle bleu en haut", "un triangle rouge à droite", "un carré vert en bas"]


def test_eight_concurrent_requests(backend):
    "8 requêtes à la fois : toutes 200, chacune reçoit exactement ce qu'elle reçoit seule ; la file se vide."
    payloads = [{"prompt": p, "n": 4, "top": 2, "seed": k} for k, p in enumerate(PROMPTS)]
    alone = [post_json(backend, p) for p in payloads]
    served = request(backend, "/health", method="GET")[1]["served"]
    with ThreadPoolExecutor(8) as ex: together = list(ex.map(lambda p: post_json(backend, p), payloads))
    for (s1, a), (s2, b), p in zip(alone, together, payloads):
        assert s1 == s2 == 200, (a, b)
        assert b["prompt"] == a["prompt"] and b["seed"] == p["seed"]
        assert [x["score"] for x in a["images"]] == [x["score"] for x in b["images"]]
        assert all(np.array_equal(x, y) for x, y in zip(decoded(a), decoded(b)))
    assert max(b["queued_seconds"] for _, b in together) > 0  # elles ont bien attendu leur tour
    health = request(backend, "/health", method="GET")[1]
    assert health["pending"] == 0 and health["served"] == served + 8


def test_queue_overflow(backend):
    "12 requêtes d'un coup (nouvelle taille de lot : la première compile) : au plus 8 en file, les autres 503 tout de suite."
    payload = {"prompt": "un carré jaune", "n": 12, "top": 2}
    with ThreadPoolExecutor(12) as ex: got = list(ex.map(lambda _: request(backend, "/generate", json.dumps(payload).encode()), range(12)))
    ok, busy = [g for g in got if g[0] == 200], [g for g in got if g[0] == 503]
    assert len(ok) + len(busy) == 12, [g[:2] for g in got]
    assert len(ok) >= 1 and len(busy) >= 1, [g[0] for g in got]
    assert all("serveur occupé" in b[1]["error"] and b[2].get("retry-after") == "1" for b in busy)
    first = [x["score"] for x in ok[0][1]["images"]]
    assert all([x["score"] for x in o[1]["images"]] == first for o in ok)  # même requête, mêmes réponses
    health = request(backend, "/health", method="GET")[1]
    assert health["status"] == "ok" and health["pending"] == 0


def test_client_errors(backend):
    "generate_remote : connexion refusée, délai dépassé, erreur HTTP avec le message du serveur."
    with pytest.raises(BackendError, match="connexion refusée") as e:
        generate_remote(f"http://127.0.0.1:{free_port()}", "un carré", timeout=5)
    assert e.value.kind == "connection"
    with pytest.raises(BackendError, match="pas de réponse") as e:  # n = 10 : compilation de plusieurs secondes
        generate_remote(backend, "un carré", n=10, timeout=0.3)
    assert e.value.kind == "timeout"
    with pytest.raises(BackendError, match="422 : requête invalide : prompt : texte trop long") as e:
        generate_remote(backend, "x" * 600)
    assert e.value.status == 422
    with pytest.raises(ValueError, match="URL du backend invalide"):
        generate_remote("127.0.0.1:8000", "un carré")


# --- l'interface Gradio dans Chromium -------------------------------------------------------------

@pytest.fixture(scope="module", params=["backend", "local"])
def ui(request, tmp_path_factory, env):
    "L'interface sur 127.0.0.1, port libre, branchée sur le backend (`--backend URL`) ou sur son propre pipeline : (mode, URL)."
    log, port = tmp_path_factory.mktemp("ui") / "ui.log", free_port()
    source = ["--backend", request.getfixturevalue("backend")] if request.param == "backend" else []
    proc = start([*source, "--host", "127.0.0.1", "--port", str(port)], log, env)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url, proc, log)
        yield request.param, url
    finally:
        stop(proc)


VISIBLE = "() => [...document.querySelectorAll('#gallery img')].filter(i => i.complete && i.naturalWidth > 0).length"


def test_gradio_ui_in_browser(ui, browser, proxy):
    "Prompt tapé, 6 candidats, 3 gardées, clic : 3 images classées ; prompt vide : le message, pas d'image ; rien hors machine."
    mode, ui = ui
    page = browser.new_page()
    outside, errors = [], []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((ui, "data:", "blob:"))
               else (outside.append(r.request.url), r.abort()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(ui, timeout=TIMEOUT_MS)
    prompt = page.locator("#prompt textarea")
    prompt.wait_for(timeout=TIMEOUT_MS)
    assert ("backend http://127.0.0.1:" if mode == "backend" else "pipeline local (miniature)") in page.locator("body").inner_text()
    prompt.fill("un grand carré bleu au centre")
    for elem, value in (("#n", "6"), ("#top", "3")):
        box = page.locator(f"{elem} input")
        box.fill(value); box.press("Tab")
    page.locator("#generate").click()
    page.wait_for_function(f"() => ({VISIBLE})() === 3", timeout=TIMEOUT_MS)
    page.wait_for_function("() => document.querySelector('#message').innerText.includes('3 image(s)')", timeout=30_000)
    assert page.locator("#gallery img").count() == 3
    assert "n° 1 · " in page.locator("#gallery").inner_text()

    prompt.fill("   ")
    page.locator("#generate").click()
    page.wait_for_function("() => document.querySelector('#message').innerText.includes('prompt vide')", timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('#gallery img').length === 0", timeout=10_000)
    assert "Traceback" not in page.content()
    assert not outside, f"requêtes du navigateur hors de la machine : {outside}"
    assert not errors, errors
    assert not proxy.seen, f"requêtes des processus Python hors de la machine : {proxy.seen}"
    page.close()
