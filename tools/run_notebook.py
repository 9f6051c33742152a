"""Exécute un notebook de haut en bas dans un autre environnement Python, comme `nbdev_test`.

Le noyau est l'interpréteur `--python` (un environnement neuf où le paquet est installé depuis sa
roue, par exemple) ; le dossier de travail est celui du notebook. Comme `nbdev_test` : `IN_TEST=1`,
et les cellules qu'il saute le sont aussi (`#|eval: false`, drapeaux de `tst_flags` comme `#|slow`,
appel à `nbdev_export(`). Sert à tests/test_fresh_env.py (Colab simulé, installation simple).

    python tools/run_notebook.py nbs/00a_images.ipynb --python /chemin/venv/bin/python \
        [--env COLAB_RELEASE_TAG=simulation] [--flags slow] [--timeout 1800] [--save executé.ipynb]

Code de sortie 0 si toutes les cellules passent ; sinon 1 et l'erreur de la cellule fautive.
"""
import argparse
import configparser
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
_DIRECTIVE = re.compile(r"^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*?)\s*$")


def skip_flags() -> set[str]:
    "Les drapeaux que nbdev_test saute par défaut (`tst_flags` de settings.ini, ex. `slow`)."
    cp = configparser.ConfigParser()
    cp.read(ROOT / "settings.ini", encoding="utf-8")
    return set(cp["DEFAULT"].get("tst_flags", "").split())


def directives(src: str) -> dict:
    "Les directives nbdev (`#| nom: valeur`) en tête d'une cellule."
    out = {}
    for line in src.splitlines():
        if not (m := _DIRECTIVE.match(line)): break
        out[m.group(1).lower()] = m.group(2).lower()
    return out


def skipped(cell, flags: set[str]) -> bool:
    "Vrai pour une cellule que nbdev_test ne lance pas."
    if cell.cell_type != "code" or "nbdev_export" + "(" in cell.source: return True
    d = directives(cell.source)
    return d.get("eval") == "false" or bool(flags & d.keys())


def run(nb_path: Path, python: str, env: dict[str, str], flags: set[str], timeout: int, save: Path | None = None) -> float:
    "Exécute le notebook (écrit exécuté dans `save`) ; rend sa durée (s). Lève CellExecutionError à la première cellule en erreur."
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells = [c for c in nb.cells if not skipped(c, flags)]
    with tempfile.TemporaryDirectory() as jp:
        spec = Path(jp) / "kernels" / "essai"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "essai",
            "language": "python", "env": {"IN_TEST": "1", **env}}))
        os.environ["JUPYTER_PATH"] = jp
        t = time.time()
        try: NotebookClient(nb, kernel_name="essai", timeout=timeout, resources={"metadata": {"path": str(nb_path.parent)}}).execute()
        finally:
            if save: nbformat.write(nb, save)
        return time.time() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--python", required=True, help="interpréteur du noyau (celui de l'environnement à essayer)")
    ap.add_argument("--env", action="append", default=[], help="VAR=valeur ajoutée à l'environnement du noyau")
    ap.add_argument("--flags", default="", help="drapeaux nbdev à exécuter quand même (ex. slow)")
    ap.add_argument("--timeout", type=int, default=1800, help="limite par cellule (s)")
    ap.add_argument("--save", type=Path, help="écrire ici le notebook exécuté (sorties comprises)")
    a = ap.parse_args()
    os.environ.pop("PYTHONPATH", None)  # le noyau importe le paquet installé, pas celui d'un dépôt
    env = dict(kv.split("=", 1) for kv in a.env)
    try: secs = run(a.notebook.resolve(), a.python, env, skip_flags() - set(a.flags.split()), a.timeout, a.save)
    except CellExecutionError as e:
        print(f"{a.notebook.name} : échec\n{str(e)[-6000:]}", file=sys.stderr)
        sys.exit(1)
    print(f"{a.notebook.name} : ok en {secs:.0f} s")


if __name__ == "__main__":
    main()
