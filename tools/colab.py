"""Ajoute à chaque notebook une première cellule qui installe le paquet quand il tourne dans Colab.

Le badge « Open in Colab » de chaque page ouvre le notebook sur une machine où `dalle_mini_nb`
n'est pas installé. La cellule, placée juste après le titre, l'installe depuis GitHub **dans
Colab seulement** ; ailleurs (Jupyter local, `nbdev_test`, le README) elle ne fait rien :

    # Dans Colab : installer le paquet (sans effet ailleurs)
    if "google.colab" in str(get_ipython()):
        !pip install -q git+https://github.com/dalle-mini-nb/dalle_mini_nb

Pourquoi cette forme : `get_ipython()` évite un `import` (nbdev exécute toute cellule qui importe
quelque chose quand il prépare la doc) ; `!pip` est la forme habituelle de Colab, IPython (donc
execnb/`nbdev_test`) la comprend même indentée, et nbdev la garde dans la doc (il y efface les
lignes `%…`, ce qui laisserait un `if` sans corps) ; sans `#|export`, rien n'est exporté.
`index.ipynb` n'en a pas : il devient le README (une cellule `%pip` n'y a pas sa place) et
n'utilise que matplotlib, présent dans Colab.

    python tools/colab.py                 # tous les notebooks de nbs/ (sauf index et _*), idempotent,
                                          # puis nbdev_export (les numéros de cellule changent)
    python tools/colab.py nbs/01_vqgan.ipynb
    python tools/colab.py --check         # code 1 si un notebook n'a pas la cellule à sa place
"""
import configparser
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "# Dans Colab : installer le paquet (sans effet ailleurs)"


def colab_source() -> str:
    "Source de la cellule, avec l'URL git de settings.ini."
    cp = configparser.ConfigParser()
    cp.read(ROOT / "settings.ini", encoding="utf-8")
    return (f'{MARK}\nif "google.colab" in str(get_ipython()):\n'
            f'    !pip install -q git+{cp["DEFAULT"]["git_url"].rstrip("/")}')


def targets() -> list[Path]:
    "Les notebooks concernés : ceux de nbs/, sauf index.ipynb et les brouillons `_*`."
    return sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_") and p.name != "index.ipynb")


def _text(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def position(cells: list) -> int:
    "Où va la cellule : juste après le titre (première cellule markdown `# …`), sinon en tête."
    others = [c for c in cells if not _text(c).startswith(MARK)]
    for i, c in enumerate(others):
        if c["cell_type"] == "markdown" and _text(c).lstrip().startswith("# "): return i + 1
    return 0


def is_colab_cell(cell) -> bool:
    return cell["cell_type"] == "code" and _text(cell).startswith(MARK)


def check(cells: list) -> str | None:
    "Ce qui ne va pas dans ce notebook (None si la cellule est là, à jour, à sa place)."
    found = [i for i, c in enumerate(cells) if is_colab_cell(c)]
    if not found: return "pas de cellule d'installation Colab"
    if len(found) > 1: return "plusieurs cellules d'installation Colab"
    if _text(cells[found[0]]) != colab_source(): return "cellule d'installation Colab périmée"
    if found[0] != position(cells): return "la cellule d'installation Colab n'est pas juste après le titre"
    return None


def add(path: Path) -> bool:
    "Ajoute (ou remet à jour et à sa place) la cellule ; vrai si le fichier a changé."
    nb = json.loads(path.read_text(encoding="utf-8"))
    if check(nb["cells"]) is None: return False
    cells = [c for c in nb["cells"] if not is_colab_cell(c)]
    src = colab_source()
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
        bad = {p.name: err for p in paths if (err := check(json.loads(p.read_text(encoding="utf-8"))["cells"]))}
        for name, err in bad.items(): print(f"{name} : {err} (lancez `python tools/colab.py`)", file=sys.stderr)
        return int(bool(bad))
    changed = [p.name for p in paths if add(p)]
    if changed:  # les numéros de cellule des commentaires `# %% ../nbs/…` du paquet changent
        subprocess.run([str(Path(sys.executable).parent / "nbdev_export")], cwd=ROOT, check=True)
        print(f"cellule Colab ajoutée : {', '.join(changed)} (paquet réexporté)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
