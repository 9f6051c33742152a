"""Construit le site de documentation (sphinx + myst-nb) dans le `doc_path` de nbdev (`_docs/`).

`nbdev_docs` a besoin de Quarto, qui n'est pas installable ici ; `_quarto.yml` et `nbdev.yml`
restent valides pour lui. Le site livré et testé est construit ainsi :

1. **nbdev** traite les notebooks de `nbs/` dans `_proc/` (`nbdev.serve.proc_nbs`, l'étape de
   `nbdev_proc_nbs` sans l'installation de Quarto) : directives appliquées, cellules `show_doc`
   ajoutées **et exécutées** pour chaque symbole exporté (avec les seules cellules exportées et
   d'imports : voir `_api_only`), liens vers l'API ajoutés ;
2. chaque notebook traité devient une page myst-nb dans `.sphinx_build/src/` : options de cellule
   Quarto (`echo`, `output`, `include`) traduites en étiquettes myst-nb, sorties `show_doc` (« asis »)
   changées en markdown (une cible par symbole), liens du site nbdev rendus relatifs (vérifiés par
   sphinx), titre + badge « Open in Colab » en tête, navigation dans l'ordre des fichiers ;
3. **sphinx** (`docs_src/conf.py`, thème sphinx-book-theme) écrit le HTML, sans jamais exécuter
   les notebooks (les sorties enregistrées sont affichées), avec `-W -n` : un lien ou une référence
   cassé arrête la construction.

    python tools/docs.py               # construit _docs/
    python tools/docs.py --out DIR     # ailleurs
"""
import argparse
import configparser
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import nbformat
import yaml

warnings.filterwarnings("ignore", message="Cell is missing an id field")  # ids ajoutés plus bas
ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "docs_src"
WORK = ROOT / ".sphinx_build"
_DIRECTIVE = re.compile(r"^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")
_SKIP_ASSETS = {".ipynb", ".md", ".qmd", ".rst", ".yml", ".yaml", ".css", ".py"}


def settings() -> configparser.SectionProxy:
    "La section [DEFAULT] de settings.ini."
    cp = configparser.ConfigParser()
    cp.read(ROOT / "settings.ini", encoding="utf-8")
    return cp["DEFAULT"]


def page_name(nb: str | Path) -> str:
    "Nom de page d'un notebook, le même que pour nbdev/Quarto : `00b_hub.ipynb` → `hub`."
    return re.sub(r"^\d+[a-zA-Z0-9]*_", "", Path(nb).stem.lower())


def notebooks() -> list[Path]:
    "Les notebooks du site : index d'abord, puis ceux de nbs/ dans l'ordre des noms (sauf `_*`)."
    nbs = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))
    return sorted(nbs, key=lambda p: (p.name != "index.ipynb", p.name))


def colab_url(nb: str | Path) -> str:
    "Lien « Open in Colab » du notebook sur la branche publiée."
    s = settings()
    repo = s["git_url"].rstrip("/").removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/{s['branch']}/nbs/{Path(nb).name}"


def _api_only(do_eval):
    """Restreint ce que nbdev exécute pour `show_doc` : cellules exportées, `show_doc`, imports seuls.

    nbdev exécute aussi toute cellule qui *contient* un import (même dans une fonction) : du code de
    démonstration tournerait alors pendant la construction, sans les cellules dont il dépend, et la
    ferait échouer. Le site n'exécute pas les notebooks : ces cellules-là sont sautées.
    """
    import ast

    def needed(cell):
        if not do_eval(cell): return False
        if cell.directives_.keys() & {"export", "exports", "exporti", "exec_doc"}: return True
        trees = cell.parsed_() or []
        return bool(trees) and all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees) \
            or any(isinstance(t, ast.Expr) and getattr(getattr(t.value, "func", None), "id", None) == "show_doc" for t in trees)
    return needed


def process() -> Path:
    "Étape 1 : `proc_nbs` de nbdev (comme `nbdev_proc_nbs`, sans Quarto) → `_proc/`."
    os.chdir(ROOT)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    sys.path.insert(0, str(ROOT))  # la référence de l'API est celle de ce dépôt, pas d'un paquet installé
    import nbdev.processors
    from nbdev.serve import proc_nbs
    nbdev.processors._do_eval = _api_only(nbdev.processors._do_eval)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Found cells containing imports and other code")
        try: return proc_nbs(str(ROOT / "nbs"), n_workers=0)  # dans ce processus (le filtre ci-dessus s'applique)
        except Exception as e:
            raise SystemExit(f"nbdev n'a pas pu préparer les notebooks : {e}\ncause : {e.__cause__!r}") from e


# --- Étape 2 : notebook traité → page myst-nb ---------------------------------------------

def directives(src: str) -> tuple[dict, str]:
    "Options `#| clé: valeur` en tête de cellule, et la source sans elles."
    opts, lines = {}, src.splitlines()
    while lines and (m := _DIRECTIVE.match(lines[0])):
        opts[m.group(1).lower()] = m.group(2).strip().strip("'\"").lower()
        lines.pop(0)
    return opts, "\n".join(lines).strip("\n")


def md_cell(src: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(src)


class Links:
    "Réécrit les liens : site nbdev (`doc_host`) et `NN_nom.ipynb` → références internes vérifiées."

    def __init__(self, pages: dict[str, str], labels: set[str]):
        s = settings()
        self.site = s["doc_host"].rstrip("/") + "/" + s["doc_baseurl"].strip("/") + "/"
        self.pages, self.labels = pages, labels  # nom d'origine → page ; cibles des symboles
        self._site_re = re.compile(r"\]\(" + re.escape(self.site) + r"([^)\s#]*?)\.html(?:#([^)\s]*))?\)")
        self._nb_re = re.compile(r"\]\((?:\./)?([\w.-]+)\.ipynb(#[^)\s]*)?\)")

    def _site(self, m) -> str:
        page, anchor = m.group(1) or "index", (m.group(2) or "").lower()
        if anchor:
            for a in (anchor, anchor.split(".")[0]):  # la méthode, sinon sa classe
                if f"{page}.{a}" in self.labels: return f"]({page}.ipynb#{page}.{a})"
        return f"]({page}.ipynb)"  # sans show_doc : la page du module (lien tout de même vérifié)

    def _nb(self, m) -> str:
        page = self.pages.get(m.group(1), m.group(1))
        return f"]({page}.ipynb{m.group(2) or ''})"

    def __call__(self, md: str) -> str:
        return self._nb_re.sub(self._nb, self._site_re.sub(self._site, md))


_SRC_LINK = re.compile(r'^\[source\]\((\S+?)\)\{[^}]*\}\s*\n+', re.M)
_HEADING = re.compile(r"^(#{1,6}) (\S.*?)[ \t]*$", re.M)
_SIGNATURE = re.compile(r"^(?:>     .*\n?)+", re.M)  # `>      f (a:int)` : code dans une citation


def api_markdown(md: str, page: str, labels: set[str]) -> str:
    "Sortie markdown de `show_doc` → markdown myst : une cible par symbole, source, signature en code."
    md = re.sub(r"^\s*---\s*\n", "", md)  # filet dessiné en CSS (un `---` juste après un titre est refusé)
    m = _SRC_LINK.search(md)
    source = f"[source]({m.group(1)}){{.api-source}}" if m else ""
    md = _SRC_LINK.sub("", md)
    sig = lambda m: "```text\n" + textwrap.dedent("\n".join(l[1:] for l in m.group(0).splitlines())).strip("\n") + "\n```\n"
    md = _SIGNATURE.sub(sig, md)

    def head(h):
        anchor = h.group(2).strip("`").lower()  # l'ancre de nbdev/Quarto (celle de _modidx)
        labels.add(f"{page}.{anchor}")
        # `open_image` a déjà l'id `open_image` (myst_heading_anchors) ; `classe.methode` perd son point
        keep = f'<span id="{anchor}"></span>' if "." in anchor else ""
        return f"({page}.{anchor})=\n{h.group(1)} {h.group(2)}" + (f"\n\n{source.strip()}{keep}" if source or keep else "")
    return _HEADING.sub(head, md, count=1)


def frontmatter(cell) -> dict | None:
    "Le YAML de la cellule brute que nbdev place en tête (`title`, `description`, …)."
    src = cell.source.strip()
    if cell.cell_type != "raw" or not src.startswith("---"): return None
    return yaml.safe_load(src.strip("-\n")) or {}


_SHOW_DOC = re.compile(r"^\s*(?:nbdev\.showdoc\.)?show_doc\(", re.M)


def stored_outputs(nb: nbformat.NotebookNode, nb_path: Path) -> None:
    """Remet les sorties enregistrées dans le notebook source (le site ne montre rien d'autre).

    Pour `show_doc`, nbdev exécute aussi les cellules `#|export` et **toute cellule qui contient un
    import** (d'où son avertissement « Found cells containing imports and other code ») : leurs
    sorties seraient celles de cette exécution. Seules les cellules `show_doc` (la référence de
    l'API, calculée depuis le paquet) gardent la sortie produite par nbdev.
    """
    src = {c.get("id"): c for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == "code"}
    for c in nb.cells:
        if c.cell_type != "code" or _SHOW_DOC.search(c.source) or not c.get("id") or c.id not in src: continue
        c.outputs = src[c.id].get("outputs", [])  # (couleurs ANSI gardées : myst-nb les affiche)


def convert(nb_path: Path, proc: Path, labels: set[str]) -> nbformat.NotebookNode:
    "Un notebook traité par nbdev → notebook prêt pour myst-nb (première passe, liens non réécrits)."
    page = page_name(nb_path)
    nb = nbformat.read(proc / nb_path.name, as_version=4)
    stored_outputs(nb, nb_path)
    cells, title = [], None
    for c in nb.cells:
        if title is None and (fm := frontmatter(c)) is not None:
            title = fm.get("title")
            if not title: break
            head = f"# {title}" + (f"\n\n> {fm['description']}" if fm.get("description") else "")
            cells += [md_cell(head), md_cell(
                f'<p class="colab-badge"><a href="{colab_url(nb_path)}">'
                f'<img src="_static/colab-badge.svg" alt="Open In Colab" width="117" height="20"></a></p>')]
            continue
        if c.cell_type == "markdown":
            if c.source.strip().startswith("<!-- WARNING: THIS FILE WAS AUTOGENERATED"): continue
            cells.append(md_cell(c.source)); continue
        if c.cell_type != "code": continue
        opts, src = directives(c.source)
        if opts.get("include") == "false": continue
        outputs = [] if opts.get("output") == "false" else c.get("outputs", [])
        asis = opts.get("output") == "asis"
        md = [o.data["text/markdown"] for o in outputs if asis and "text/markdown" in o.get("data", {})]
        if asis: outputs = [o for o in outputs if "text/markdown" not in o.get("data", {})]
        echo = opts.get("echo") != "false" and src.strip()
        if echo or outputs:  # (myst-nb saute une cellule de source vide : on garde la source, masquée)
            code = nbformat.v4.new_code_cell(src or "#", outputs=outputs)
            if not echo: code.metadata["tags"] = ["remove-input"]
            cells.append(code)
        cells += [md_cell(api_markdown(m, page, labels) if _SHOW_DOC.search(src) else m) for m in md]
    if not title:
        raise SystemExit(f"{nb_path.name} : pas de titre. Le notebook doit commencer par une cellule "
                         "markdown `# Titre` / `> sous-titre` (voir STYLE.md).")
    for i, c in enumerate(cells): c["id"] = f"c{i:04d}"
    meta = {"kernelspec": nb.metadata.get("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}),
            "language_info": {"name": "python", "pygments_lexer": "ipython3"}}  # magies `!`, `%` colorées
    return nbformat.v4.new_notebook(cells=cells, metadata=meta)


def write_source(proc: Path, src: Path) -> list[str]:
    "Étape 2 : `.sphinx_build/src/` (une page par notebook + les fichiers annexes de nbs/)."
    nbs = notebooks()
    pages = {p.stem: page_name(p) for p in nbs}
    if len(set(pages.values())) != len(pages):
        dup = sorted(n for n in pages if list(pages.values()).count(pages[n]) > 1)
        raise SystemExit(f"deux notebooks donnent la même page : {dup}")
    shutil.rmtree(src, ignore_errors=True); src.mkdir(parents=True)
    for f in proc.rglob("*"):  # figures et données référencées par les notebooks
        if f.is_file() and f.suffix not in _SKIP_ASSETS and not f.name.startswith("."):
            (src / f.relative_to(proc)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, src / f.relative_to(proc))
    labels: set[str] = set()
    converted = {p: convert(p, proc, labels) for p in nbs}
    links = Links(pages, labels)
    order = [pages[p.stem] for p in nbs]
    for p, nb in converted.items():
        for c in nb.cells:
            if c.cell_type == "markdown": c.source = links(c.source)
        if p.name == "index.ipynb":
            toc = "\n".join(o for o in order if o != "index")
            nb.cells.append(md_cell(f"```{{toctree}}\n:hidden:\n:titlesonly:\n:maxdepth: 1\n:caption: Notebooks\n\n{toc}\n```"))
        nbformat.write(nb, src / f"{pages[p.stem]}.ipynb")
    return order


def build(src: Path, out: Path, quiet: bool = True) -> None:
    """Étape 3 : sphinx-build, avertissements = erreurs, références vérifiées (nitpicky).

    Construit dans `.sphinx_build/html` (myst-nb écrit ses fichiers à côté) puis copie dans `out`.
    """
    html = WORK / "html"
    for d in (html, WORK / "doctrees", WORK / "jupyter_execute"): shutil.rmtree(d, ignore_errors=True)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-a", "-n", "-W", "--keep-going",
           "-c", str(CONF), "-d", str(WORK / "doctrees"), str(src), str(html)] + (["-q"] if quiet else [])
    r = subprocess.run(cmd, cwd=ROOT)
    if r.returncode: raise SystemExit(f"sphinx a échoué (code {r.returncode}) : voir les avertissements ci-dessus")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(html, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="dossier du site (par défaut : doc_path de settings.ini)")
    ap.add_argument("-v", "--verbose", action="store_true", help="sortie complète de sphinx")
    a = ap.parse_args()
    out = (a.out or ROOT / settings().get("doc_path", "_docs")).resolve()
    t0 = time.time()
    proc = process()
    t1 = time.time()
    order = write_source(proc, WORK / "src")
    build(WORK / "src", out, quiet=not a.verbose)
    print(f"site : {out} ({len(order)} pages : {', '.join(order)}) ; nbdev {t1 - t0:.0f} s, sphinx {time.time() - t1:.0f} s")


if __name__ == "__main__":
    main()
