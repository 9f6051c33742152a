"""Là où sont les apprenants : le paquet installé depuis sa roue, dans un environnement neuf, loin du dépôt.

Une roue est construite depuis une copie du dépôt, puis installée (non éditable) dans un
environnement virtuel neuf, hors du dépôt :

- **installation simple** (`pip install dalle_mini_nb`, sans option) : le paquet s'importe sans les
  outils des notebooks ni nbdev, trouve ses poids et ses fixtures dans site-packages, et la commande
  `dalle-mini-nb` génère une grille hors ligne depuis un dossier vide ;
- **Jupyter** avec la seule option `[notebooks]` : un notebook tourne (sa cellule Colab ne fait rien) ;
- **Colab simulé** : chaque notebook est copié **seul** dans un dossier vide et exécuté de haut en bas
  en mode test (`IN_TEST`, réglages rapides), la branche Colab de sa cellule d'installation activée
  (`COLAB_RELEASE_TAG`) et pointée sur la roue locale (`DALLE_MINI_NB_SOURCE`) : elle lance pip,
  vérifie l'import, et `10_app` y installe `[app]` elle-même. Un notebook qui lirait un fichier hors
  du paquet installé ou de son dossier échoue ici.

L'environnement et la roue sont construits une fois pour tout le module (≈ 1 à 2 min, cache pip chaud).
"""
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from repo import copy_repo  # noqa: E402

NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name.startswith("_"))
PIP = ["-m", "pip", "install", "-q", "--disable-pip-version-check"]


def clean_env(**extra) -> dict:
    "L'environnement d'un utilisateur : pas de PYTHONPATH vers un dépôt, hors ligne, pas de cache de compilation."
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, "HF_HUB_OFFLINE": "1", "DALLE_MINI_NB_COMPILE_CACHE": "0", **extra}


def run(cmd, cwd, timeout=900, **extra) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=clean_env(**extra), capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} a échoué ({r.returncode}) :\n{r.stdout[-3000:]}\n{r.stderr[-5000:]}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    "La roue du paquet, construite depuis une copie du dépôt (rien d'écrit dans le dépôt)."
    src = copy_repo(tmp_path_factory.mktemp("source") / "dalle_mini_nb")
    out = tmp_path_factory.mktemp("roue")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out, src], cwd=out)
    (whl,) = out.glob("dalle_mini_nb-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    "Un environnement neuf avec le paquet seul (installation simple) ; rend son python."
    d = tmp_path_factory.mktemp("env")
    run([sys.executable, "-m", "venv", d / "venv"], cwd=d)
    py = d / "venv" / "bin" / "python"
    run([py, *PIP, wheel], cwd=d)
    return py


@pytest.fixture
def empty(tmp_path) -> Path:
    "Un dossier vide, loin du dépôt : le dossier de travail d'un utilisateur."
    d = tmp_path / "vide"
    d.mkdir()
    return d


def test_wheel_carries_weights_and_fixtures(wheel):
    "La roue contient les poids miniatures et les fixtures de parité (rien n'est lu à côté du paquet)."
    names = zipfile.ZipFile(wheel).namelist()
    for f in ("dalle_mini_nb/weights/miniature/bart/flax_model.msgpack", "dalle_mini_nb/reference/vqgan/io.npz",
              "dalle_mini_nb/reference/dallebart_v0/io.npz", "dalle_mini_nb/reference/dallebart_v1/io.npz",
              "dalle_mini_nb/reference/clip/io.npz", "dalle_mini_nb/reference/full_size/dallebart_v1_mega.params.txt"):
        assert f in names, f"{f} absent de la roue"


PLAIN = """
import importlib, importlib.util, json, pkgutil, dalle_mini_nb
from dalle_mini_nb.hub import reference_dir, miniature_path
mods = sorted(m.name for m in pkgutil.iter_modules(dalle_mini_nb.__path__) if not m.name.startswith("_"))
for m in mods:
    if m != "app": importlib.import_module("dalle_mini_nb." + m)  # app : seulement avec l'option [app]
print(json.dumps({"file": dalle_mini_nb.__file__, "modules": mods, "reference": str(reference_dir()),
                  "fixture": (reference_dir() / "vqgan" / "io.npz").is_file(),
                  "weights": (miniature_path("bart") / "flax_model.msgpack").is_file(),
                  "absent": [m for m in ("nbdev", "fastcore", "skimage", "gradio") if importlib.util.find_spec(m)]}))
"""


def test_plain_install_imports(venv, empty):
    "Installation simple : chaque module s'importe, depuis site-packages, sans nbdev ni outils de notebook."
    import json
    out = json.loads(run([venv, "-c", PLAIN], cwd=empty).stdout.strip().splitlines()[-1])
    assert "site-packages" in out["file"], out["file"]
    assert {"vqgan", "model", "generate", "clip", "pipeline", "notebooks"} <= set(out["modules"]), out["modules"]
    assert out["reference"].startswith(str(Path(out["file"]).parent)) and out["fixture"] and out["weights"], out
    assert out["absent"] == [], f"installés sans être demandés : {out['absent']}"


def test_plain_install_cli_offline(venv, empty):
    "Installation simple : `dalle-mini-nb` génère une grille hors ligne, depuis un dossier vide."
    r = run([venv.parent / "dalle-mini-nb", "un cercle rouge à gauche d'un carré bleu", "--out", "grille.png", "--n", "2"], cwd=empty)
    png = empty / "grille.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000, r.stdout + r.stderr
    assert sorted(p.name for p in empty.iterdir()) == ["grille.png"]  # rien d'autre écrit là


@pytest.fixture(scope="module")
def notebook_venv(venv, wheel) -> Path:
    "Le même environnement, avec l'option `[notebooks]` (ce que la cellule Colab installe) et un noyau Jupyter."
    run([venv, *PIP, f"dalle_mini_nb[notebooks] @ {wheel.as_uri()}", "ipykernel"], cwd=wheel.parent)
    return venv


def execute(nb: Path, folder: Path, python: Path, **env) -> subprocess.CompletedProcess:
    "Copie `nb` seul dans `folder` (vide) et l'exécute avec tools/run_notebook.py dans l'environnement `python`."
    folder.mkdir(parents=True)
    (folder / nb.name).write_bytes(nb.read_bytes())
    cmd = [sys.executable, ROOT / "tools" / "run_notebook.py", folder / nb.name, "--python", python, "--save", folder.parent / f"{nb.stem}.out.ipynb"]
    cmd += [x for k, v in env.items() for x in ("--env", f"{k}={v}")]
    return subprocess.run([str(c) for c in cmd], cwd=folder, env=clean_env(), capture_output=True, text=True, timeout=2400)


def test_notebook_with_extra_only(notebook_venv, tmp_path):
    "Jupyter avec la seule option `[notebooks]` : un notebook passe, hors de Colab (sa cellule d'installation ne fait rien)."
    r = execute(ROOT / "nbs" / "00a_images.ipynb", tmp_path / "jupyter", notebook_venv)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-6000:]


@pytest.fixture(scope="module")
def colab_runs(request, notebook_venv, wheel, tmp_path_factory) -> dict:
    "Les notebooks demandés par cette session de pytest, exécutés en Colab simulé, deux à la fois : nom → futur."
    wanted = {item.callspec.params["nb"] for item in request.session.items
              if item.originalname == "test_notebook_in_simulated_colab" and hasattr(item, "callspec")}
    base = tmp_path_factory.mktemp("colab")
    colab = {"COLAB_RELEASE_TAG": "simulation", "DALLE_MINI_NB_SOURCE": wheel.as_uri()}
    pool = ThreadPoolExecutor(2)
    runs = {nb: pool.submit(execute, ROOT / "nbs" / nb, base / Path(nb).stem, notebook_venv, **colab) for nb in sorted(wanted)}
    yield runs
    pool.shutdown(cancel_futures=True)


@pytest.mark.parametrize("nb", [p.name for p in NOTEBOOKS], ids=[p.stem for p in NOTEBOOKS])
def test_notebook_in_simulated_colab(colab_runs, nb):
    "Colab simulé : le notebook, seul dans un dossier vide, passe de haut en bas avec le paquet installé depuis sa roue."
    r = colab_runs[nb].result()
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-6000:]
    if nb == "index.ipynb": return  # l'accueil (le README) n'installe rien : matplotlib seul, présent dans Colab
    import nbformat
    ran = nbformat.read(r.args[r.args.index("--save") + 1], as_version=4)
    first = next(c for c in ran.cells if c.cell_type == "code" and "COLAB_RELEASE_TAG" in c.source)
    said = "".join(o.get("text", "") for o in first.outputs)
    extras = "notebooks,app" if nb == "10_app.ipynb" else "notebooks"
    assert f"installation de dalle_mini_nb[{extras}] depuis file://" in said, f"la branche Colab n'a pas tourné : {said!r}"
