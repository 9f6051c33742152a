"""Lance tous les tests : chaque notebook avec `nbdev_test`, puis pytest ; une ligne de bilan.

La suite tourne dans une **copie** du dépôt (fichiers suivis et nouveaux fichiers non ignorés, comme
un `git clone` de votre copie de travail ; voir tools/repo.py), seule dans un dossier temporaire :
un test qui lirait un fichier hors du dépôt (un dossier voisin, un chemin de cette machine) échoue
ici comme chez quelqu'un qui vient de cloner le projet. Le paquet importé est celui de la copie.

    python tools/run_tests.py                 # réglages rapides (cellules #|slow sautées)
    python tools/run_tests.py --flags slow    # avec les cellules lentes
    python tools/run_tests.py --only 01_vqgan # un notebook (et pas de pytest)
    python tools/run_tests.py --in-place      # dans ce dépôt, sans copie (plus rapide à relancer)

La dernière ligne est toujours `N passed, M failed, K skipped`.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from repo import copy_repo

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def notebooks(root: Path, only=None) -> list[Path]:
    "Les notebooks testés : ceux de nbs/ qui ne commencent pas par `_`."
    nbs = sorted(p for p in (root / "nbs").glob("*.ipynb") if not p.name.startswith("_"))
    return [p for p in nbs if not only or any(o in p.stem for o in only)]


def run_notebook(root: Path, nb: Path, flags: str) -> tuple[str, bool, float, str]:
    "Un notebook avec nbdev_test : (nom, réussi, secondes, sortie)."
    t = time.time()
    cmd = [str(BIN / "nbdev_test"), "--path", str(nb), "--n_workers", "0"] + (["--flags", flags] if flags else [])
    r = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    return nb.name, r.returncode == 0, time.time() - t, r.stdout + r.stderr


def run_pytest(root: Path, args: list[str]) -> tuple[int, int, int]:
    "pytest sur tests/ : (réussis, échoués, sautés), lus dans le rapport JUnit."
    with tempfile.TemporaryDirectory() as d:
        xml = Path(d) / "junit.xml"
        subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "-rfEs", f"--junitxml={xml}", *args], cwd=root)
        if not xml.exists(): return 0, 1, 0
        suites = ET.parse(xml).getroot()
        suites = [suites] if suites.tag == "testsuite" else list(suites)
        tot = lambda k: sum(int(s.get(k, 0)) for s in suites)
        failed, skipped = tot("failures") + tot("errors"), tot("skipped")
        return tot("tests") - failed - skipped, failed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flags", default=os.environ.get("TEST_FLAGS", ""), help="drapeaux nbdev à exécuter (ex. slow)")
    ap.add_argument("--only", nargs="*", help="seulement ces notebooks (sous-chaînes des noms)")
    ap.add_argument("--workers", type=int, default=2, help="notebooks exécutés en parallèle")
    ap.add_argument("--in-place", action="store_true", help="tester ce dépôt tel quel, sans copie")
    ap.add_argument("--keep", action="store_true", help="garder la copie après les tests (son chemin est affiché)")
    ap.add_argument("pytest_args", nargs="*", help="arguments passés à pytest")
    a = ap.parse_args()
    os.environ.setdefault("DALLE_MINI_NB_COMPILE_CACHE", "0")  # pas de cache de compilation : mêmes durées à chaque passe

    t0, nb_pass, nb_fail = time.time(), 0, 0
    if a.in_place: root, scratch = ROOT, None
    else:  # seule dans un dossier neuf : rien à côté du dépôt
        scratch = Path(tempfile.mkdtemp(prefix="dalle_mini_nb-tests-"))
        root = copy_repo(scratch / "dalle_mini_nb")
        print(f"suite exécutée dans une copie du dépôt : {root}", flush=True)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])  # son paquet
    try:
        with ThreadPoolExecutor(a.workers) as ex:
            for name, ok, secs, out in ex.map(lambda nb: run_notebook(root, nb, a.flags), notebooks(root, a.only)):
                print(f"[notebook] {'PASSED' if ok else 'FAILED'} {name} ({secs:.0f} s)", flush=True)
                if not ok: print(out[-6000:], flush=True)
                nb_pass, nb_fail = nb_pass + ok, nb_fail + (not ok)
        print(f"notebooks : {nb_pass} passed, {nb_fail} failed", flush=True)
        py_pass, py_fail, py_skip = run_pytest(root, a.pytest_args) if not a.only else (0, 0, 0)
    finally:
        if scratch and not a.keep: shutil.rmtree(scratch, ignore_errors=True)
    print(f"pytest : {py_pass} passed, {py_fail} failed, {py_skip} skipped ({time.time() - t0:.0f} s en tout)")
    passed, failed = nb_pass + py_pass, nb_fail + py_fail
    print(f"{passed} passed, {failed} failed, {py_skip} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
