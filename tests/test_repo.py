"""Le dépôt est cohérent : paquet exporté = notebooks, notebooks nettoyés, README à jour."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def copie(tmp_path_factory):
    "Une copie des notebooks, de settings.ini et du paquet, pour exporter/nettoyer sans toucher au dépôt."
    d = tmp_path_factory.mktemp("depot")
    for name in ("nbs", "dalle_mini_nb"):
        shutil.copytree(ROOT / name, d / name, ignore=shutil.ignore_patterns("__pycache__", "weights", "reference"))
    shutil.copy(ROOT / "settings.ini", d)
    return d


def _py_files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in folder.rglob("*.py") if "__pycache__" not in p.parts}


def test_package_matches_notebooks(copie):
    "nbdev_export sur les notebooks redonne exactement dalle_mini_nb/ (rien d'édité à la main)."
    before = _py_files(copie / "dalle_mini_nb")
    for f in (copie / "dalle_mini_nb").rglob("*.py"):
        if f.name != "__init__.py": f.unlink()  # un module orphelin doit se voir
    subprocess.run([str(BIN / "nbdev_export")], cwd=copie, check=True, capture_output=True)
    after = _py_files(copie / "dalle_mini_nb")
    assert sorted(after) == sorted(before), f"modules différents : {set(after) ^ set(before)}"
    stale = [k for k in after if after[k] != before[k]]
    assert not stale, f"dalle_mini_nb/ n'est pas l'export des notebooks (lancez nbdev_export) : {stale}"


def test_notebooks_are_clean(copie):
    "nbdev_clean ne change aucun notebook (métadonnées et compteurs d'exécution retirés)."
    nbs = sorted((copie / "nbs").glob("*.ipynb"))
    before = {p.name: p.read_bytes() for p in nbs}
    subprocess.run([str(BIN / "nbdev_clean"), "--fname", str(copie / "nbs")], cwd=copie, check=True, capture_output=True)
    dirty = [p.name for p in nbs if p.read_bytes() != before[p.name]]
    assert not dirty, f"notebooks à nettoyer (nbdev_clean) : {dirty}"


OUTSIDE = re.compile(r"\.\./shared|shared[/]reference")  # (écrit ainsi pour ne pas se trouver lui-même)


def test_project_stands_alone():
    "Aucun fichier du projet ne lit un dossier voisin du dépôt (le dossier `shared` d'à côté) : tout ce qu'il lit est dedans."
    sys.path.insert(0, str(ROOT / "tools"))
    from repo import tracked_files
    files = tracked_files(ROOT) or [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()
                                    and not {".git", ".venv", "__pycache__", "_docs", "_proc", ".sphinx_build"} & set(p.parts)]
    bad = []
    for f in files:
        try: text = (ROOT / f).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError): continue  # poids, fixtures binaires
        bad += [f"{f}:{i}" for i, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert not bad, f"le projet lit hors de lui-même : {bad[:10]}"


def test_readme_is_generated_from_index():
    "README.md (et ses figures) = nbconvert de nbs/index.ipynb."
    r = subprocess.run([sys.executable, "tools/readme.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
