"""Ajoute à chaque notebook une première cellule qui installe le paquet quand il tourne dans Colab.

Le badge « Open in Colab » de chaque page ouvre le notebook sur une machine neuve, où
`dalle_mini_nb` n'est pas installé. La cellule, placée juste après le titre, l'installe depuis
GitHub avec l'option `[notebooks]` (`[notebooks,app]` pour `10_app`) **dans Colab seulement** ;
ailleurs (Jupyter local, `nbdev_test`, la documentation) elle ne fait rien :

    # Dans Colab : installer le paquet et ce qu'utilisent les notebooks (sans effet ailleurs)
    import os, subprocess, sys
    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
        ...  # pip en sous-processus : une erreur arrête le notebook ; puis l'import est vérifié

Pourquoi cette forme (voir `00d_notebooks`) : un `!pip` raté n'arrête pas le notebook, un
sous-processus dont on lit le code de retour, si ; `DALLE_MINI_NB_SOURCE` remplace la source (une
branche, un fork, une roue locale : c'est ainsi que tests/test_fresh_env.py simule Colab) ; sans
`#|export`, rien n'est exporté ; la documentation ne l'exécute pas (tools/docs.py n'exécute que
les cellules faites d'imports seuls). `index.ipynb` n'en a pas : il devient le README.

    python tools/colab.py                 # tous les notebooks de nbs/ (sauf index et _*), idempotent,
                                          # puis nbdev_export (les numéros de cellule changent)
    python tools/colab.py nbs/01_vqgan.ipynb
    python tools/colab.py --check         # code 1 si un notebook n'a pas la cellule à jour, à sa place
"""
import configparser
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "# Dans Colab : installer le paquet et ce qu'utilisent les notebooks (sans effet ailleurs)"
_OLD_MARKS = ("# Dans Colab : installer le paquet (sans effet ailleurs)",)  # cellules d'avant, remplacées
SOURCE_ENV = "DALLE_MINI_NB_SOURCE"  # une autre source pour pip (branche, fork, roue locale)
EXTRAS = {"10_app": "notebooks,app"}  # options du paquet par notebook ; `notebooks` par défaut


def git_url() -> str:
    cp = configparser.ConfigParser()
    cp.read(ROOT / "settings.ini", encoding="utf-8")
    return cp["DEFAULT"]["git_url"].rstrip("/")


def colab_source(nb: str | Path = "") -> str:
    "Source de la cellule du notebook `nb` (l'URL git vient de settings.ini)."
    extras = EXTRAS.get(Path(nb).stem, "notebooks")
    return f'''{MARK}
import os, subprocess, sys
if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    source = os.environ.get("{SOURCE_ENV}", "git+{git_url()}")
    print(f"installation de dalle_mini_nb[{extras}] depuis {{source}} (une à deux minutes)…")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"dalle_mini_nb[{extras}] @ {{source}}"], capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f"l'installation de dalle_mini_nb a échoué (pip, code {{r.returncode}}) :\\n{{r.stderr[-2000:]}}\\n"
                                        "Vérifiez que la session a accès à Internet, puis relancez cette cellule.")
    try: import dalle_mini_nb
    except ImportError as e: raise RuntimeError("dalle_mini_nb est installé mais ne s'importe pas : menu Exécution → "
                                                "Redémarrer la session, puis relancez le notebook depuis le début.") from e'''


def targets() -> list[Path]:
    "Les notebooks concernés : ceux de nbs/, sauf index.ipynb et les brouillons `_*`."
    return sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_") and p.name != "index.ipynb")


def _text(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def is_colab_cell(cell) -> bool:
    return cell["cell_type"] == "code" and _text(cell).startswith((MARK, *_OLD_MARKS))


def position(cells: list) -> int:
    "Où va la cellule : juste après le titre (première cellule markdown `# …`), sinon en tête."
    others = [c for c in cells if not is_colab_cell(c)]
    for i, c in enumerate(others):
        if c["cell_type"] == "markdown" and _text(c).lstrip().startswith("# "): return i + 1
    return 0


def check(cells: list, nb: str | Path = "") -> str | None:
    "Ce qui ne va pas dans ce notebook (None si la cellule est là, à jour, à sa place)."
    found = [i for i, c in enumerate(cells) if is_colab_cell(c)]
    if not found: return "pas de cellule d'installation Colab"
    if len(found) > 1: return "plusieurs cellules d'installation Colab"
    if _text(cells[found[0]]) != colab_source(nb): return "cellule d'installation Colab périmée"
    if found[0] != position(cells): return "la cellule d'installation Colab n'est pas juste après le titre"
    return None


def add(path: Path) -> bool:
    "Ajoute (ou remet à jour et à sa place) la cellule ; vrai si le fichier a changé."
    nb = json.loads(path.read_text(encoding="utf-8"))
    if check(nb["cells"], path) is None: return False
    cells = [c for c in nb["cells"] if not is_colab_cell(c)]
    src = colab_source(path)
    ids, cid = {c.get("id") for c in cells}, hashlib.sha1(src.encode()).hexdigest()[:8]  # comme mk.sh
    while cid in ids: cid = hashlib.sha1(cid.encode()).hexdigest()[:8]
    cell = {"cell_type": "code", "execution_count": None, "id": cid, "metadata": {}, "outputs": [],
            "source": src.splitlines(keepends=True)}
    cells.insert(position(cells), cell)
    nb["cells"] = cells
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    subprocess.run([str(Path(sys.executable).parent / "nbdev_clean"), "--fname", str(path)], cwd=ROOT, check=True)
    return True


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv if not a.startswith("--")] or targets()
    if "--check" in argv:
        bad = {p.name: err for p in paths if (err := check(json.loads(p.read_text(encoding="utf-8"))["cells"], p))}
        for name, err in bad.items(): print(f"{name} : {err} (lancez `python tools/colab.py`)", file=sys.stderr)
        return int(bool(bad))
    changed = [p.name for p in paths if add(p)]
    if changed:  # les numéros de cellule des commentaires `# %% ../nbs/…` du paquet changent
        subprocess.run([str(Path(sys.executable).parent / "nbdev_export")], cwd=ROOT, check=True)
        print(f"cellule Colab ajoutée : {', '.join(changed)} (paquet réexporté)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
