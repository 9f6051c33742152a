"""Le site de documentation (`make docs`, tools/docs.py) : construit depuis une copie propre du dépôt,
servi sur 127.0.0.1, ouvert dans Chromium (Playwright, `/usr/bin/chromium`).

Chaque page de notebook : chargée sans erreur de console ni requête hors de la machine, images et
figures réellement affichées, liens internes valides, référence de l'API présente, badge Colab.
La page d'accueil a le contenu du README. Deux captures d'écran sont gardées comme artefacts
(dossier temporaire de pytest, ou `DOCS_SCREENSHOTS=dossier`).
"""
import ast
import difflib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import colab  # noqa: E402
import docs  # noqa: E402
from repo import copy_repo  # noqa: E402

NOTEBOOKS = docs.notebooks()  # index d'abord, puis nbs/*.ipynb dans l'ordre (sauf `_*`)
PAGES = [docs.page_name(p) for p in NOTEBOOKS]
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")
_DIRECTIVE = re.compile(r"^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")


# --- ce que chaque notebook doit montrer, lu dans le notebook source ------------------------

def _directives(src: str) -> dict:
    out = {}
    for line in src.splitlines():
        if not (m := _DIRECTIVE.match(line)): break
        out[m.group(1).lower()] = m.group(2).lower()
    return out


def exported_api(nb_path: Path) -> list[str]:
    "Fonctions et classes publiques des cellules `#|export`/`#|exports` : chacune doit avoir sa fiche."
    from nbdev.showdoc import showdoc_nm  # le nom affiché (`Classe.methode` pour un `@patch`)
    names = []
    for c in nbformat.read(nb_path, as_version=4).cells:
        d = _directives(c.source)
        if c.cell_type != "code" or not {"export", "exports"} & set(d) or "hide" in d: continue
        tree = ast.parse("\n".join(l for l in c.source.splitlines() if not l.lstrip().startswith(("%", "!"))))
        names += [showdoc_nm(n) for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and (not n.name.startswith("_") or n.name.startswith("__"))]
    return names


def expected_images(nb_path: Path) -> int:
    "Images que la page doit afficher : sorties image enregistrées des cellules visibles + images du markdown."
    n = 0
    for c in nbformat.read(nb_path, as_version=4).cells:
        if c.cell_type == "markdown":
            n += len(re.findall(r"!\[[^\]]*\]\([^)]+\)|<img\s", c.source))
            continue
        d = _directives(c.source)
        if c.cell_type != "code" or "hide" in d or d.get("include") == "false" or d.get("output") == "false": continue
        for o in c.get("outputs", []):
            data = o.get("data", {})
            if any(m in data for m in IMAGE_MIMES) and "text/html" not in data: n += 1
    return n


# --- construction, serveur, navigateur -------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    "Le site construit par `python tools/docs.py` dans une copie propre : (dépôt, site, secondes)."
    repo = tmp_path_factory.mktemp("depot")
    copy_repo(repo)
    t = time.time()
    r = subprocess.run([sys.executable, "tools/docs.py"], cwd=repo, capture_output=True, text=True, timeout=1200,
                       env={**os.environ, "PYTHONPATH": str(repo)})
    assert r.returncode == 0, f"make docs a échoué :\n{r.stdout[-4000:]}\n{r.stderr[-8000:]}"
    print(f"\n[docs] site construit en {time.time() - t:.0f} s : {r.stdout.strip().splitlines()[-1]}")
    return repo, repo / docs.settings().get("doc_path", "_docs"), time.time() - t


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a): pass


@pytest.fixture(scope="module")
def server(built):
    "Le site servi sur 127.0.0.1 (port libre) par http.server, dans un thread."
    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(built[1])))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory):
    d = Path(os.environ["DOCS_SCREENSHOTS"]) if os.environ.get("DOCS_SCREENSHOTS") else tmp_path_factory.mktemp("captures")
    d.mkdir(parents=True, exist_ok=True)
    return d


_IMAGES_JS = """async () => {
  const imgs = [...document.querySelectorAll('article img')];
  for (const i of imgs) { i.loading = 'eager'; i.scrollIntoView(); try { await i.decode(); } catch (e) {} }
  window.scrollTo(0, 0);
  return imgs.map(i => ({src: i.getAttribute('src'), width: i.naturalWidth, complete: i.complete,
                         badge: !!i.closest('.colab-badge')}));
}"""
_BLOCKS_JS = """(root) => {
  const out = [];
  root.querySelectorAll('h1,h2,h3,h4,h5,h6,p,li,th,td,pre').forEach(e => {
    if (e.closest('.colab-badge') || (e.tagName === 'P' && e.parentElement.closest('li,td,th'))) return;
    const c = e.cloneNode(true);
    c.querySelectorAll('.headerlink').forEach(x => x.remove());
    const t = c.textContent.replace(/\\s+/g, ' ').trim();
    if (t) out.push(e.tagName.toLowerCase() + ' : ' + t);
  });
  return out;
}"""


@pytest.fixture(scope="module")
def visits(built, server, browser, shots_dir):
    "Chaque page ouverte une fois dans Chromium : erreurs, requêtes, images, liens, titres, texte."
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    outside, failed = [], []

    def route(r):  # rien ne doit sortir de la machine : on coupe et on note
        if r.request.url.startswith(server) or r.request.url.startswith(("data:", "blob:")): r.continue_()
        else: outside.append(r.request.url); r.abort()
    ctx.route("**/*", route)
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    shots = {PAGES[0], next((p for p in PAGES[1:]), PAGES[0])}
    res = {}
    for name in PAGES:
        errors.clear(); outside.clear(); failed.clear()
        resp = page.goto(f"{server}{name}.html", wait_until="load")
        images = page.evaluate(_IMAGES_JS)
        page.wait_for_load_state("networkidle")
        res[name] = {
            "status": resp.status, "errors": list(errors), "outside": list(outside), "failed": list(failed),
            "images": images,
            "links": page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"),
            "headings": page.eval_on_selector_all(
                "article :is(h1,h2,h3,h4)", "hs => hs.map(h => h.firstChild ? h.firstChild.textContent.trim() : '')"),
            "ids": page.eval_on_selector_all("[id]", "es => es.map(e => e.id)"),
            "code": page.eval_on_selector_all("article pre", "ps => ps.map(p => p.textContent)"),
            "nav": page.eval_on_selector_all("nav.bd-docs-nav a.reference.internal", "as => as.map(a => a.getAttribute('href'))"),
            "blocks": page.eval_on_selector("article", _BLOCKS_JS),
            "tables": page.eval_on_selector_all("article table", "ts => ts.length"),
        }
        if name in shots:
            page.screenshot(path=str(shots_dir / f"{name}.png"), full_page=True)
    ctx.close()
    return res


# --- construction --------------------------------------------------------------------------

def test_site_builds_one_page_per_notebook(built):
    "La copie propre donne une page par notebook (noms de nbdev/Quarto), rien d'autre, et aucun CDN."
    repo, site, secs = built
    html = {p.stem for p in site.glob("*.html")} - {"genindex", "search"}
    assert html == set(PAGES), f"pages attendues {PAGES}, construites {sorted(html)}"
    assert (site / ".nojekyll").exists(), "GitHub Pages ignorerait _static/ sans .nojekyll"
    for p in site.glob("*.html"):  # (le navigateur le vérifie aussi : voir test_page_loads_cleanly)
        tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", p.read_text(encoding="utf-8"))
        remote = [t for t in tags if re.search(r'\b(?:src|href)="(?:https?:)?//', t) and 'rel="canonical"' not in t]
        assert not remote, f"{p.name} charge des ressources distantes : {remote}"
    assert not (repo / "jupyter_execute").exists(), "myst-nb ne doit rien écrire à la racine du dépôt"


def test_navigation_in_notebook_order(visits):
    "La barre latérale suit l'ordre des fichiers, accueil d'abord."
    nav = [h.split("#")[0].removesuffix(".html") for h in visits[PAGES[0]]["nav"]]
    nav = [n or "index" for n in nav]
    assert [n for n in dict.fromkeys(nav) if n != "index"] == PAGES[1:], nav


def test_broken_link_fails_the_build(tmp_path):
    "Un lien interne cassé (page ou cible absente) arrête la construction (sphinx -W -n)."
    for f in ("settings.ini", "tools/docs.py", "nbs/index.ipynb"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, tmp_path / f)
    shutil.copytree(ROOT / "docs_src", tmp_path / "docs_src")
    shutil.copytree(ROOT / "dalle_mini_nb", tmp_path / "dalle_mini_nb", ignore=shutil.ignore_patterns("weights", "__pycache__"))
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lien cassé\n> Une page de test."),
        nbformat.v4.new_markdown_cell("Voir [une page absente](99_absent.ipynb) et [une section absente](#nulle-part).")])
    nbformat.write(nb, tmp_path / "nbs" / "01_casse.ipynb")
    r = subprocess.run([sys.executable, "tools/docs.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                       env={**os.environ, "PYTHONPATH": str(tmp_path)})
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert "99_absent" in out and "nulle-part" in out, out[-3000:]


# --- chaque page dans Chromium ---------------------------------------------------------------

@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_loads_cleanly(visits, nb):
    "Chargée (HTTP 200) sans erreur de console, sans requête échouée, sans rien chercher hors de la machine."
    v = visits[docs.page_name(nb)]
    assert v["status"] == 200
    assert not v["errors"], v["errors"]
    assert not v["failed"], v["failed"]
    assert not v["outside"], f"requêtes hors de la machine : {v['outside']}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_images_rendered(visits, nb):
    "Toutes les images s'affichent (largeur naturelle > 0) et les figures enregistrées sont là."
    imgs = visits[docs.page_name(nb)]["images"]
    broken = [i["src"] for i in imgs if not i["width"]]
    assert not broken, f"images non affichées : {broken}"
    content = [i for i in imgs if not i["badge"]]
    assert len(content) >= expected_images(nb), f"{len(content)} images affichées, {expected_images(nb)} enregistrées"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_colab_badge(visits, nb):
    "Badge « Open in Colab » (image locale, affichée) vers ce notebook sur GitHub ; cellule d'installation visible."
    v = visits[docs.page_name(nb)]
    assert docs.colab_url(nb) in v["links"], "pas de lien Colab vers ce notebook"
    badges = [i for i in v["images"] if i["badge"]]
    assert badges and all(i["width"] > 0 and not i["src"].startswith("http") for i in badges), badges
    if nb.name != "index.ipynb":
        assert any("google.colab" in c and '"pip", "install"' in c for c in v["code"]), "cellule d'installation Colab absente"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_page_api_reference(visits, nb):
    "Une fiche show_doc (titre + cible au nom du symbole, comme sous Quarto) par fonction/classe exportée."
    v = visits[docs.page_name(nb)]
    names = exported_api(nb)
    missing = [n for n in names if n not in v["headings"]]
    assert not missing, f"fiches d'API absentes : {missing}"
    anchors = [n for n in names if n.lower() not in v["ids"]]
    assert not anchors, f"ancres `page.html#symbole` (liens de _modidx) absentes : {anchors}"


def test_internal_links_resolve(visits, server):
    "Chaque lien interne de chaque page mène à une page servie, et à une cible qui y existe."
    cache, bad = {}, []
    for name, v in visits.items():
        for href in v["links"]:
            if not href.startswith(server): continue
            url, _, frag = href.partition("#")
            if url not in cache:
                try:
                    with urllib.request.urlopen(url, timeout=10) as r: body = r.read().decode("utf-8", "replace")
                    cache[url] = set(re.findall(r'\bid="([^"]+)"', body))
                except Exception as e:  # noqa: BLE001
                    cache[url] = e
            if isinstance(cache[url], Exception): bad.append(f"{name}: {href} ({cache[url]})")
            elif frag and urllib.parse.unquote(frag) not in cache[url]: bad.append(f"{name}: {href} (cible absente)")
    assert not bad, "\n".join(bad[:30])
    assert cache, "aucun lien interne ?"


def test_home_page_is_the_readme(visits, browser):
    "L'accueil (index.ipynb) a le contenu du README : mêmes titres, paragraphes, listes, tableaux, code, figures."
    from markdown_it import MarkdownIt
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(readme)
    page = browser.new_page()
    page.set_content(f"<article>{html}</article>")
    want = page.eval_on_selector("article", _BLOCKS_JS)
    page.close()
    got = visits[PAGES[0]]["blocks"]
    assert got == want, "accueil ≠ README :\n" + "\n".join(difflib.unified_diff(want, got, "README", "accueil", lineterm="", n=1))
    figures = len(re.findall(r"!\[[^\]]*\]\(", readme))
    assert len([i for i in visits[PAGES[0]]["images"] if not i["badge"]]) == figures


def test_screenshots_saved(visits, shots_dir):
    "Deux captures pleine page (accueil + premier notebook), artefacts du test (jamais dans le dépôt)."
    shots = sorted(shots_dir.glob("*.png"))
    assert len(shots) == min(2, len(PAGES)), shots
    for s in shots:
        assert s.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and s.stat().st_size > 10_000, s
    print(f"\n[docs] captures : {', '.join(str(s) for s in shots)}")


# --- notebooks et réglages nbdev/Quarto --------------------------------------------------------

@pytest.mark.parametrize("nb", colab.targets(), ids=[p.stem for p in colab.targets()])
def test_notebook_has_colab_install_cell(nb):
    "Chaque notebook (sauf index, qui devient le README) installe le paquet dans Colab juste après son titre."
    err = colab.check(json.loads(nb.read_text(encoding="utf-8"))["cells"], nb)
    assert err is None, f"{nb.name} : {err} — lancez `python tools/colab.py`"


def test_colab_cell_is_a_noop_outside_colab_and_fails_loudly_inside(monkeypatch, tmp_path):
    "Hors de Colab la cellule ne fait rien sous execnb (comme nbdev_test) ; dans Colab, un pip raté arrête le notebook, en français."
    from execnb.nbio import mk_cell, new_nb
    from execnb.shell import CaptureShell
    src = colab.colab_source()
    assert not _directives(src), "aucune directive nbdev (ni export, ni hide)"
    assert '"git+' + docs.settings()["git_url"] + '"' in src and "dalle_mini_nb[notebooks] @ " in src
    assert "dalle_mini_nb[notebooks,app] @ " in colab.colab_source("nbs/10_app.ipynb")  # 10_app installe [app] elle-même
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    nb = new_nb([mk_cell(src)])
    CaptureShell().run_all(nb)
    assert nb.cells[0].outputs == [], nb.cells[0].outputs
    monkeypatch.setenv("COLAB_RELEASE_TAG", "simulation")  # « dans Colab », avec une source qui n'existe pas
    monkeypatch.setenv(colab.SOURCE_ENV, (tmp_path / "absent" / "dalle_mini_nb-0.0.0-py3-none-any.whl").as_uri())
    shell = CaptureShell()
    with pytest.raises(Exception):
        shell.run_all(nb := new_nb([mk_cell(src)]), exc_stop=True)
    err = "".join(o.get("evalue", "") for o in nb.cells[0].outputs)
    assert "l'installation de dalle_mini_nb a échoué (pip, code" in err and "relancez cette cellule" in err, nb.cells[0].outputs


def test_quarto_settings_stay_valid(built):
    "nbdev_docs (là où Quarto existe) trouverait des réglages à jour : nbdev.yml régénéré à l'identique."
    repo = built[0]
    before = {f: (repo / "nbs" / f).read_text(encoding="utf-8") for f in ("_quarto.yml", "nbdev.yml")}
    code = "from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar; refresh_quarto_yml(); nbdev_sidebar.__wrapped__()"
    subprocess.run([sys.executable, "-c", code], cwd=repo, check=True, capture_output=True)
    for f, s in before.items():
        assert (repo / "nbs" / f).read_text(encoding="utf-8") == s, f"nbs/{f} n'est pas ce que nbdev en ferait"
    quarto, nbdev_yml = yaml.safe_load(before["_quarto.yml"]), yaml.safe_load(before["nbdev.yml"])
    assert quarto["project"]["type"] == "website" and {"nbdev.yml", "sidebar.yml"} <= set(quarto["metadata-files"])
    assert nbdev_yml["project"]["output-dir"] == docs.settings()["doc_path"]
    side = yaml.safe_load((repo / "nbs" / "sidebar.yml").read_text(encoding="utf-8"))["website"]["sidebar"]["contents"]
    assert side == [p.name for p in NOTEBOOKS]


# --- la conversion elle-même (rapide) ------------------------------------------------------------

def test_show_doc_markdown_becomes_a_target():
    "Sortie show_doc de nbdev → cible + titre + lien source + signature en code, sans filet `---`."
    md = ('---\n\n[source](https://github.com/o/r/blob/main/p/m.py#L3){target="_blank" style="float:right; font-size:smaller"}'
          '\n\n### open_image\n\n>      open_image (src:str|pathlib.Path|bytes,\n>                  n:int=1)\n\n*Ouvre `src`.*')
    labels = set()
    out = docs.api_markdown(md, "images", labels)
    assert labels == {"images.open_image"}
    assert out.startswith("(images.open_image)=\n### open_image\n\n[source](https://github.com/o/r/blob/main/p/m.py#L3){.api-source}")
    assert "```text\nopen_image (src:str|pathlib.Path|bytes,\n            n:int=1)\n```" in out
    assert "---" not in out and out.rstrip().endswith("*Ouvre `src`.*")
    meth = docs.api_markdown("### VQGAN.encode\n\n>      VQGAN.encode (images)\n\n*Encode.*", "vqgan", labels)
    assert meth.startswith('(vqgan.vqgan.encode)=\n### VQGAN.encode\n\n<span id="vqgan.encode"></span>\n')  # ancre de _modidx


def test_links_are_rewritten_to_checked_references():
    "Liens du site nbdev et `NN_nom.ipynb` → références internes (que sphinx vérifie)."
    site = docs.Links({"00b_hub": "hub"}, set()).site
    links = docs.Links({"00b_hub": "hub", "00a_images": "images"}, {"hub.load_params", "hub.hubconfig"})
    md = (f"[`load_params`]({site}hub.html#load_params), [`HubConfig.from_dict`]({site}hub.html#hubconfig.from_dict), "
          f"[`cast_params`]({site}hub.html#cast_params), [le hub](00b_hub.ipynb#lire), [x](https://exemple.fr/a.html)")
    assert links(md) == ("[`load_params`](hub.ipynb#hub.load_params), [`HubConfig.from_dict`](hub.ipynb#hub.hubconfig), "
                         "[`cast_params`](hub.ipynb), [le hub](hub.ipynb#lire), [x](https://exemple.fr/a.html)")
