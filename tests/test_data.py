"""Le téléchargeur (dalle_mini_nb.data) contre un vrai serveur HTTP local qui sert de vraies
images et toutes sortes de pannes ; puis SIGKILL au milieu du travail et reprise.

Le serveur compte, par chemin, les requêtes reçues et les images servies en entier : c'est lui
qui dit ce qui a été téléchargé, et combien de fois.
"""
import functools
import io
import json
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import skimage.data
from PIL import Image

from dalle_mini_nb.data import FetchConfig, download, load_shards

ROOT = Path(__file__).resolve().parents[1]
OPTS = dict(timeout=2.0, retries=1, backoff=0.05, max_bytes=1_000_000)  # réglages courts pour le loopback, avec de la marge
SIZE = 64  # côté des images enregistrées

# --------------------------------------------------------------------------- images et routes
PHOTOS = [skimage.data.astronaut, skimage.data.chelsea, skimage.data.coffee, skimage.data.rocket,
          skimage.data.camera, skimage.data.logo, skimage.data.hubble_deep_field, skimage.data.coins]
SIZES = [(64, 48), (300, 200), (1000, 50), (333, 777), (256, 256)]


@functools.lru_cache(maxsize=None)
def image(i: int) -> tuple[bytes, str, tuple[int, int]]:
    "La i-ième image de test : (octets, type MIME, (largeur, hauteur)) ; JPEG ou PNG, plusieurs modes."
    img = Image.fromarray(PHOTOS[i % len(PHOTOS)]()).resize(SIZES[i % len(SIZES)])
    fmt = "PNG" if i % 3 == 0 or img.mode == "RGBA" else "JPEG"
    buf = io.BytesIO(); img.save(buf, fmt)
    return buf.getvalue(), f"image/{fmt.lower()}", img.size


def bomb(w: int, h: int) -> bytes:
    "Un PNG de quelques octets dont l'en-tête annonce w × h pixels."
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


# genre de route → code d'erreur attendu (None : une bonne image)
GOOD = {"img": None, "octet": None, "notype": None, "chunked": None, "slowok": None, "redirect": None, "flaky": None}
FAULTS = {"404": "http_404", "500": "http_500", "sleep": "timeout", "trickle": "timeout", "truncated": "truncated",
          "html": "not_image", "plain": "not_image", "garbage": "bad_image", "truncjpeg": "bad_image",
          "loop": "redirect", "huge": "too_many_pixels", "giant": "too_many_pixels", "big": "too_large",
          "bigstream": "too_large", "noai": "opt_out", "reset": "connection", "refused": "connection"}
TRANSIENT = {"500", "sleep", "trickle", "truncated", "reset"}  # retentées : 1 + retries requêtes


class Handler(BaseHTTPRequestHandler):
    "Une route par genre : /<genre>/<i>."
    def log_message(self, *a): pass

    def do_GET(self):
        srv, (_, kind, i) = self.server.fault, self.path.split("/")
        self.host, self.left = self.headers.get("Host", "").rsplit(":", 1)[0], False
        srv.enter(self.path, self.host)
        try:
            time.sleep(srv.delay)
            getattr(self, "r_" + kind)(int(i), srv.requests[self.path])
        except (BrokenPipeError, ConnectionResetError): pass  # le client a raccroché
        finally:
            if not self.left: srv.leave(self.host)

    def head(self, code, headers=(), length=None):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        if length is not None: self.send_header("Content-Length", str(length))
        self.end_headers()

    def send_image(self, i, ctype=True, chunked=False):
        "Envoie l'image i ; quitte le compte des actifs avant le dernier octet (le client ne peut finir avant)."
        body, mime, _ = image(i)
        if chunked:
            self.protocol_version = "HTTP/1.1"
            self.head(200, [("Content-Type", mime), ("Transfer-Encoding", "chunked"), ("Connection", "close")])
            for k in range(0, len(body), 4096): self.wfile.write(b"%x\r\n%s\r\n" % (len(body[k:k + 4096]), body[k:k + 4096]))
            last = b"0\r\n\r\n"
        else:
            self.head(200, [("Content-Type", ctype if isinstance(ctype, str) else mime)] if ctype else [], len(body))
            self.wfile.write(body[:-1]); last = body[-1:]
        self.server.fault.leave(self.host); self.left = True
        self.wfile.write(last); self.wfile.flush()
        self.server.fault.served(self.path)

    # bonnes images
    def r_img(self, i, n): self.send_image(i)
    def r_octet(self, i, n): self.send_image(i, "application/octet-stream")
    def r_notype(self, i, n): self.send_image(i, ctype=False)
    def r_chunked(self, i, n): self.send_image(i, chunked=True)
    def r_slowok(self, i, n): time.sleep(0.3); self.send_image(i)  # lent, mais dans le délai
    def r_redirect(self, i, n): self.head(302, [("Location", f"/target/{i}")], 0)
    def r_target(self, i, n): self.send_image(i)
    def r_flaky(self, i, n): self.r_500(i, n) if n == 1 else self.send_image(i)  # 500 une fois, puis OK

    # pannes
    def r_404(self, i, n): self.head(404, [("Content-Type", "text/html")], 9); self.wfile.write(b"not found")
    def r_500(self, i, n): self.head(500, [("Content-Type", "text/html")], 5); self.wfile.write(b"oops!")
    def r_sleep(self, i, n): time.sleep(4); self.send_image(i)  # deux fois le délai du client
    def r_html(self, i, n): self.head(200, [("Content-Type", "text/html; charset=utf-8")], 20); self.wfile.write(b"<html>erreur</html>\n")
    def r_plain(self, i, n): self.send_image(i, "text/plain")  # une image, annoncée comme du texte
    def r_garbage(self, i, n):
        body = np.random.default_rng(i).bytes(3000)
        self.head(200, [("Content-Type", "image/jpeg")], len(body)); self.wfile.write(body)
    def r_truncjpeg(self, i, n):  # longueur cohérente, mais un JPEG coupé en deux
        body = image(1)[0][: len(image(1)[0]) // 2]
        self.head(200, [("Content-Type", "image/jpeg")], len(body)); self.wfile.write(body)
    def r_truncated(self, i, n):  # Content-Length de l'image entière, la moitié envoyée, connexion fermée
        body = image(i)[0]
        self.head(200, [("Content-Type", "image/jpeg")], len(body)); self.wfile.write(body[: len(body) // 2])
    def r_trickle(self, i, n):  # un filet : 64 octets tous les 0,25 s, pendant 8 s (le client abandonne avant)
        body = image(i)[0]
        self.head(200, [("Content-Type", "image/jpeg")], len(body))
        for k in range(0, min(len(body), 64 * 32), 64): self.wfile.write(body[k:k + 64]); self.wfile.flush(); time.sleep(0.25)
    def r_loop(self, i, n): self.head(302, [("Location", self.path)], 0)
    def r_huge(self, i, n):  # bombe de décompression : 30000 × 30000 annoncés
        body = bomb(30000, 30000); self.head(200, [("Content-Type", "image/png")], len(body)); self.wfile.write(body)
    def r_giant(self, i, n):  # 9000 × 9000 : sous la limite de PIL, au-dessus de max_pixels
        body = bomb(9000, 9000); self.head(200, [("Content-Type", "image/png")], len(body)); self.wfile.write(body)
    def r_big(self, i, n):  # Content-Length au-delà de max_bytes
        self.head(200, [("Content-Type", "image/jpeg")], 3_000_000); self.wfile.write(b"\xff" * 3_000_000)
    def r_bigstream(self, i, n):  # pas de Content-Length, un corps sans fin
        self.head(200, [("Content-Type", "image/jpeg")])
        for _ in range(50): self.wfile.write(b"\xff" * 65536)
    def r_noai(self, i, n):  # une image, mais le site refuse l'usage pour l'IA
        body, mime, _ = image(i)
        self.head(200, [("Content-Type", mime), ("X-Robots-Tag", "noai, noimageai")], len(body)); self.wfile.write(body)
    def r_reset(self, i, n): self.close_connection = True  # ferme sans répondre


class FaultServer:
    "ThreadingHTTPServer sur 127.0.0.1, port libre ; compte requêtes, images servies et connexions actives par hôte."
    def __init__(self, delay=0.0):
        self.delay, self.lock = delay, threading.Lock()
        self.requests, self.full, self.active, self.max_active = Counter(), Counter(), Counter(), Counter()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.fault, self.port = self, self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def enter(self, path, host):
        with self.lock:
            self.requests[path] += 1; self.active[host] += 1
            self.max_active[host] = max(self.max_active[host], self.active[host])

    def leave(self, host):
        with self.lock: self.active[host] -= 1

    def served(self, path):
        with self.lock: self.full[path] += 1

    def counts(self):
        with self.lock: return self.requests.copy(), self.full.copy()

    def close(self): self.httpd.shutdown(); self.httpd.server_close()


@pytest.fixture
def server():
    s = FaultServer(); yield s; s.close()


# --------------------------------------------------------------------------- la source
def url(srv, kind, i, host="127.0.0.1"):
    return f"http://127.0.0.1:1/refused/{i}" if kind == "refused" else f"http://{host}:{srv.port}/{kind}/{i}"


def make_source(srv, path: Path, n_good=44, fault_reps=2):
    "Un TSV au format CC3M : bonnes lignes, pannes (≥ 20 %) et lignes inutilisables mêlées ; rend les attendus."
    kinds = [k for k in GOOD for _ in range(n_good // len(GOOD))] + [k for k in FAULTS for _ in range(fault_reps)]
    random.Random(0).shuffle(kinds)
    lines, expected = [], []
    for i, kind in enumerate(kinds):
        lines.append(f"caption {i} ({kind})\t{url(srv, kind, i)}".encode()); expected.append((kind, FAULTS.get(kind)))
    bad = [(b"a caption\twith\tthree fields", "malformed_row"), (b"\t" + url(srv, "img", 999).encode(), "empty_caption"),
           (b"caf\xe9 cr\xe8me\t" + url(srv, "img", 998).encode(), "not_utf8"), (b"an ftp url\tftp://example.org/a.jpg", "bad_url")]
    for k, (raw, code) in enumerate(bad):
        lines.insert(5 + 9 * k, raw); expected.insert(5 + 9 * k, ("input", code))
    path.write_bytes(b"\n".join(lines) + b"\n")
    for i in range(len(kinds)): image(i)  # images prêtes avant de servir : pas de calcul pendant une requête
    return expected


def rows_of(folder: Path) -> list[dict]:
    "Toutes les lignes des parquets d'un dossier, shard après shard."
    return [r for p in sorted(folder.glob("[0-9]*.parquet")) for r in pq.read_table(p).to_pylist()]


def images_of(folder: Path) -> dict:
    "Clé → octets de chaque image enregistrée."
    return {p.stem: p.read_bytes() for p in folder.glob("[0-9]*/*.jpg")}


def path_of(row_url: str) -> str:
    return "/" + row_url.split("/", 3)[3] if row_url.startswith("http") else ""


# --------------------------------------------------------------------------- un téléchargement complet, plein de pannes
@pytest.fixture(scope="module")
def run(tmp_path_factory):
    srv, d = FaultServer(), tmp_path_factory.mktemp("pannes")
    expected = make_source(srv, d / "cc3m.tsv")
    manifest = download(d / "cc3m.tsv", d / "out", image_size=SIZE, workers=8, shard_size=16, progress=False, per_host=8, **OPTS)
    counts = srv.counts()
    again = download(d / "cc3m.tsv", d / "out", image_size=SIZE, workers=8, shard_size=16, progress=False, per_host=8, **OPTS)
    yield dict(srv=srv, dir=d, out=d / "out", expected=expected, manifest=manifest, counts=counts, again=again,
               after=srv.counts())
    srv.close()


def test_source_is_mostly_faulty_enough(run):
    n_bad = sum(code is not None for _, code in run["expected"])
    assert n_bad / len(run["expected"]) >= 0.2, (n_bad, len(run["expected"]))


def test_every_row_recorded_once_with_its_reason(run):
    rows, exp = rows_of(run["out"]), run["expected"]
    assert [r["key"] for r in rows] == [f"{i:09d}" for i in range(len(exp))]  # chaque ligne, une fois, dans l'ordre
    for r, (kind, code) in zip(rows, exp):
        want = "ok" if code is None else "skipped" if kind == "input" else "failed"
        assert (r["status"], (r["error"] or "").split(":")[0] or None) == (want, code), (kind, r)
        if code: assert len(r["error"]) > len(code) + 2, r  # un message après le code
    m = run["manifest"]
    assert m["status"] == dict(Counter("ok" if c is None else "skipped" if k == "input" else "failed" for k, c in exp))
    assert m["errors"] == dict(sorted(Counter(c for _, c in exp if c).items()))
    assert (m["rows"], m["unfinished_shards"]) == (len(exp), 0)


def test_good_rows_downloaded_exactly_once(run):
    requests, full = run["counts"]
    for r, (kind, code) in zip(rows_of(run["out"]), run["expected"]):
        if code is not None: continue
        p = path_of(r["url"])
        target = p.replace("/redirect/", "/target/")
        assert full[target] == 1, (r, full[target])  # une seule image servie en entier par bonne ligne
        assert requests[p] == (2 if kind == "flaky" else 1), (kind, requests[p])


def test_retries_only_for_transient_errors(run):
    requests, _ = run["counts"]
    for r, (kind, code) in zip(rows_of(run["out"]), run["expected"]):
        if kind in FAULTS and kind != "refused":
            got = requests[path_of(r["url"])]
            if kind == "loop": assert 1 < got <= FetchConfig.max_redirects + 1, got  # une seule tentative, bornée
            else: assert got == (1 + OPTS["retries"] if kind in TRANSIENT else 1), (kind, got)


def test_images_are_resized_and_sizes_recorded(run):
    out = run["out"]
    for r, (kind, code) in zip(rows_of(out), run["expected"]):
        f = out / f"{int(r['key']) // 16:05d}" / f"{r['key']}.jpg"
        assert f.exists() == (code is None), r
        if code is None:
            i = int(path_of(r["url"]).rsplit("/", 1)[1])
            assert (r["width"], r["height"]) == image(i)[2]
            with Image.open(f) as im: assert (im.size, im.mode, im.format) == ((SIZE, SIZE), "RGB", "JPEG")
        else:
            assert (r["width"], r["height"]) == (None, None)
    leftovers = [p.name for p in out.rglob("*") if p.suffix in (".tmp", ".journal")]
    assert not leftovers


def test_rerun_of_finished_folder_downloads_nothing(run):
    assert run["after"] == run["counts"]
    assert run["again"] == run["manifest"]
    assert json.loads((run["out"] / "manifest.json").read_text()) == run["manifest"]


def test_load_shards(run):
    ds = load_shards(run["out"])
    ok = [r for r in rows_of(run["out"]) if r["status"] == "ok"]
    assert len(ds) == len(ok) and list(ds["caption"]) == [r["caption"] for r in ok]
    assert ds[0]["image"].size == (SIZE, SIZE) and np.asarray(ds[0]["image"]).shape == (SIZE, SIZE, 3)


# --------------------------------------------------------------------------- politesse
def test_per_host_politeness(tmp_path, server):
    "per_host=3, 12 threads, deux hôtes (127.0.0.1 et localhost) : jamais plus de 3 connexions par hôte."
    lines = [f"slow {i}\t{url(server, 'slowok', i, host=('127.0.0.1', 'localhost')[i % 2])}" for i in range(24)]
    (tmp_path / "s.tsv").write_text("\n".join(lines) + "\n")
    m = download(tmp_path / "s.tsv", tmp_path / "out", image_size=SIZE, workers=12, progress=False, per_host=3, **OPTS)
    assert m["status"]["ok"] == 24
    assert dict(server.max_active) == {"127.0.0.1": 3, "localhost": 3}  # la limite, atteinte et jamais dépassée


# --------------------------------------------------------------------------- mauvaises entrées
def test_bad_input_formats(tmp_path, server):
    good = url(server, "img", 1)
    # CC12M (url puis légende), CRLF, BOM, lignes vides : l'ordre est deviné
    (tmp_path / "cc12m.tsv").write_bytes(b"\xef\xbb\xbf" + f"{good}\t<PERSON> on stage\r\n\r\n{url(server, 'img', 2)}\ta red car\r\n".encode())
    m = download(tmp_path / "cc12m.tsv", tmp_path / "o1", image_size=SIZE, workers=2, progress=False, **OPTS)
    assert m["status"] == {"ok": 2, "failed": 0, "skipped": 0}
    assert [r["caption"] for r in rows_of(tmp_path / "o1")] == ["<PERSON> on stage", "a red car"]

    # CSV avec en-tête et colonnes inconnues (ignorées), guillemets
    (tmp_path / "p.csv").write_text(f'id,TEXT,URL,licence\n1,"a cat, asleep",{url(server, "img", 3)},cc\n2,,{url(server, "img", 4)},cc\n')
    m = download(tmp_path / "p.csv", tmp_path / "o2", image_size=SIZE, workers=2, progress=False, **OPTS)
    assert m["status"] == {"ok": 1, "failed": 0, "skipped": 1} and m["errors"] == {"empty_caption": 1}

    # parquet, colonnes nommées explicitement
    pq.write_table(pa.table({"legende": ["a boat", "a tree"], "lien": [url(server, "img", 5), "pas une url"], "x": [1, 2]}), tmp_path / "p.parquet")
    m = download(tmp_path / "p.parquet", tmp_path / "o3", image_size=SIZE, workers=2, progress=False,
                 columns={"caption": "legende", "url": "lien"}, **OPTS)
    assert m["status"] == {"ok": 1, "failed": 0, "skipped": 1} and m["errors"] == {"bad_url": 1}


def test_bad_layouts_fail_clearly_before_downloading(tmp_path, server):
    (tmp_path / "sans_url.csv").write_text(f"caption,lien\na cat,{url(server, 'img', 1)}\n")
    with pytest.raises(ValueError, match="colonne d'URL introuvable"):
        download(tmp_path / "sans_url.csv", tmp_path / "o", progress=False)
    (tmp_path / "trois.tsv").write_text(f"a\tb\t{url(server, 'img', 1)}\n")
    with pytest.raises(ValueError, match="3 champs par ligne"):
        download(tmp_path / "trois.tsv", tmp_path / "o", progress=False)
    with pytest.raises(FileNotFoundError, match="fichier source introuvable"):
        download(tmp_path / "absent.tsv", tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists() and sum(server.requests.values()) == 0
    with pytest.raises(TypeError):
        download(tmp_path / "trois.tsv", tmp_path / "o", columns=("x", "caption", "url"), progress=False, timout=3)


def test_resume_refuses_another_source_or_a_concurrent_run(tmp_path, server):
    (tmp_path / "a.tsv").write_text(f"a cat\t{url(server, 'img', 1)}\n")
    (tmp_path / "b.tsv").write_text(f"a dog\t{url(server, 'img', 2)}\n")
    download(tmp_path / "a.tsv", tmp_path / "o", image_size=SIZE, workers=1, progress=False, **OPTS)
    with pytest.raises(ValueError, match="autre source"):
        download(tmp_path / "b.tsv", tmp_path / "o", image_size=SIZE, workers=1, progress=False, **OPTS)
    import fcntl
    with open(tmp_path / "o" / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        with pytest.raises(RuntimeError, match="un autre téléchargement"):
            download(tmp_path / "a.tsv", tmp_path / "o", image_size=SIZE, workers=1, progress=False, **OPTS)


# --------------------------------------------------------------------------- SIGKILL et reprise
CLI = ["--image-size", str(SIZE), "--workers", "3", "--per-host", "3", "--shard-size", "10", "--timeout", "2",
       "--retries", "1", "--backoff", "0.05", "--max-bytes", "1000000", "--no-progress"]


def durable_keys(out: Path) -> set:
    "Les clés que le disque garde pour finies : lignes des parquets et lignes complètes des journaux."
    keys = set()
    for j in out.glob("*.journal"):  # les journaux d'abord : un shard fini entre-temps sera dans son parquet
        try: data = j.read_bytes()
        except FileNotFoundError: continue
        keys |= {json.loads(l)["key"] for l in data.splitlines(keepends=True) if l.endswith(b"\n")}
    return keys | {r["key"] for r in rows_of(out)}


def start(src, out):
    return subprocess.Popen([sys.executable, "-m", "dalle_mini_nb.data", str(src), str(out), *CLI],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})


def kill_when(proc, out, n, deadline=60):
    "SIGKILL dès qu'au moins `n` lignes sont durables ; rend les clés durables juste avant le kill."
    t0, keys = time.time(), set()
    while time.time() - t0 < deadline:
        keys = durable_keys(out)
        if len(keys) >= n or proc.poll() is not None: break
        time.sleep(0.02)
    assert proc.poll() is None, "le téléchargeur a fini avant d'être tué : le test ne tue rien"
    proc.send_signal(signal.SIGKILL); proc.wait(10)
    return keys


def test_sigkill_and_resume_gives_the_uninterrupted_result(tmp_path):
    srv = FaultServer(delay=0.05)
    try:
        expected = make_source(srv, tmp_path / "cc3m.tsv", n_good=35, fault_reps=1)
        n = len(expected)
        ref = subprocess.run([sys.executable, "-m", "dalle_mini_nb.data", str(tmp_path / "cc3m.tsv"), str(tmp_path / "ref"), *CLI],
                             capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert ref.returncode == 0, ref.stderr[-2000:]
        req_ref, full_ref = srv.counts()

        out, durable, hits = tmp_path / "killed", [], []
        for threshold in (8, 25):  # deux morts brutales, à deux moments
            before = srv.counts()
            durable.append(kill_when(start(tmp_path / "cc3m.tsv", out), out, threshold))
            hits.append((before, srv.counts()))
            assert not (out / "manifest.json").exists()
        assert len(durable[1]) > len(durable[0]) >= 8
        before = srv.counts()
        last = subprocess.run([sys.executable, "-m", "dalle_mini_nb.data", str(tmp_path / "cc3m.tsv"), str(out), *CLI],
                              capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert last.returncode == 0, last.stderr[-2000:]
        end = srv.counts()
    finally:
        srv.close()

    # même résultat qu'une exécution sans interruption : lignes (clé, statut, erreur, tailles…) et octets des images
    assert rows_of(out) == rows_of(tmp_path / "ref")
    assert len(rows_of(out)) == n and len({r["key"] for r in rows_of(out)}) == n
    assert images_of(out) == images_of(tmp_path / "ref")
    assert json.loads(last.stdout) == json.loads(ref.stdout)
    assert not [p for p in out.rglob("*") if p.suffix in (".tmp", ".journal")]

    # rien de ce qui était durable au moment d'un kill n'a été redemandé ensuite
    rows = {r["key"]: r for r in rows_of(out)}
    req_end, _ = end
    for k, keys in enumerate(durable):
        req_at_kill = hits[k][1][0]
        for key in keys:
            p = path_of(rows[key]["url"])
            if not p: continue
            paths = [p, p.replace("/redirect/", "/target/")]
            assert all(req_end[q] == req_at_kill[q] for q in paths), (key, p, req_at_kill[p], req_end[p])

    # une bonne image n'est servie deux fois que si sa ligne était en vol lors d'un kill (au plus 4 × workers lignes)
    full_total = end[1] - Counter(full_ref)
    twice = [p for p, c in full_total.items() if c > 1]
    assert all(c <= 3 for c in full_total.values()) and len(twice) <= 2 * 4 * 3, full_total
    print(f"\n{n} lignes ; durables aux kills : {[len(d) for d in durable]} ; bonnes images servies deux fois : {len(twice)}")
