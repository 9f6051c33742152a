"""La commande `dalle-mini-nb` (console script de settings.ini, aussi `python -m dalle_mini_nb.pipeline`),
lancée dans un sous-processus comme le fait `make demo` : une grille PNG de la bonne taille, les scores
affichés ; des arguments faux donnent un message clair et un code de sortie non nul."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "un cercle rouge à gauche d'un carré bleu"


def env() -> dict:
    "Le dépôt en tête du PYTHONPATH (il masque une installation éditable d'une autre copie), hors ligne."
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "HF_HUB_OFFLINE": "1"}


def run(*args, command=None, timeout=300) -> subprocess.CompletedProcess:
    cmd = command or [sys.executable, "-m", "dalle_mini_nb.pipeline"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, env=env(), cwd=ROOT)


def expected_size(top: int, cell: int) -> tuple[int, int]:
    "Taille de la grille écrite par la commande, calculée par le paquet (images factices, même légende et même titre)."
    sys.path.insert(0, str(ROOT))
    from dalle_mini_nb.images import image_grid
    from dalle_mini_nb.pipeline import titled
    from dalle_mini_nb.text import normalize_text
    imgs = [Image.new("RGB", (64, 64))] * top
    return titled(image_grid(imgs, [f"n° {k + 1} · 0.00" for k in range(top)], cell=cell), normalize_text(PROMPT)).size


def test_module_writes_grid(tmp_path):
    "`python -m dalle_mini_nb.pipeline PROMPT --out … --n 8` : PNG de 4 images de 128 px + titre, chemin et 4 scores affichés."
    out = tmp_path / "sous" / "grille.png"
    r = run(PROMPT, "--out", str(out), "--n", "8", "--seed", "3", "--quiet")
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stdout.strip().splitlines()
    assert lines[0] == str(out) and out.is_file()
    scores = [float(l.split("\t")[1]) for l in lines[1:]]
    assert [l.split("\t")[0] for l in lines[1:]] == ["1", "2", "3", "4"] and scores == sorted(scores, reverse=True)
    img = Image.open(out)
    assert img.format == "PNG" and img.size == expected_size(4, 128)
    assert img.width == 4 * 128


def test_console_script_with_options(tmp_path):
    "La commande installée (`dalle-mini-nb`, à côté de l'interpréteur) : --top, --cell et les réglages de l'échantillonneur."
    exe = Path(sys.executable).parent / "dalle-mini-nb"
    if not exe.exists(): exe = shutil.which("dalle-mini-nb")
    if not exe: pytest.skip("commande dalle-mini-nb non installée (pip install -e .)")
    out = tmp_path / "g.png"
    r = run(PROMPT, "--out", str(out), "--n", "3", "--top", "2", "--cell", "96", "--top-k", "20", "--temperature", "0.8",
            "--condition-scale", "2", "--quiet", command=[str(exe)])
    assert r.returncode == 0, r.stderr[-3000:]
    assert Image.open(out).size == expected_size(2, 96)
    assert len(r.stdout.strip().splitlines()) == 1 + 2


@pytest.mark.parametrize("args, message, code", [
    (["   "], "prompt vide", 1),
    ([PROMPT, "--n", "0"], "entre 1 et 256", 1),
    ([PROMPT, "--n", "100000"], "entre 1 et 256", 1),
    ([PROMPT, "--n", "4", "--top", "5"], "top = 5", 1),
    ([PROMPT, "--temperature", "0"], "temperature", 1),
    ([PROMPT, "--model", "/nulle/part"], "/nulle/part", 1),
    ([PROMPT, "--n", "huit"], "invalid int value", 2),
    ([], "prompt", 2),
], ids=["vide", "n0", "n-enorme", "top", "temperature", "modele", "n-pas-entier", "sans-prompt"])
def test_bad_arguments(tmp_path, args, message, code):
    "Erreur claire sur la sortie d'erreur (une ligne, pas de trace Python), code non nul, aucun fichier écrit."
    out = tmp_path / "x.png"
    r = run(*args, "--out", str(out), "--quiet")
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    assert message in r.stderr, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and not out.exists()


def test_compile_cache_between_runs(tmp_path):
    """Le cache de compilation (DALLE_MINI_NB_COMPILE_CACHE) : le 2e lancement relit chaque programme écrit par le 1er
    (JAX le dit avec JAX_LOG_COMPILES) et donne la même grille ; des fichiers tronqués (processus tué pendant l'écriture)
    sont effacés et réécrits. Un petit programme compilé en près de 0,1 s (le seuil) peut être gardé par un lancement et
    pas par l'autre, selon la charge de la machine : on ne compte donc pas les fichiers, on suit ceux du 1er lancement."""
    cache, outs = tmp_path / "cache", [tmp_path / f"g{k}.png" for k in range(3)]
    entries = lambda: {p.name[:-len("-cache")] for p in cache.glob("*-cache")}
    def launch(out, **extra):
        r = subprocess.run([sys.executable, "-m", "dalle_mini_nb.pipeline", PROMPT, "--out", str(out), "--n", "4", "--quiet"],
                           capture_output=True, text=True, timeout=300, cwd=ROOT,
                           env={**env(), "DALLE_MINI_NB_COMPILE_CACHE": str(cache), **extra})
        assert r.returncode == 0, r.stderr[-3000:]
        return r
    first = launch(outs[0]); written = entries()
    loop = {k for k in written if k.startswith("jit_run-")}  # la boucle de génération, la plus longue à compiler
    assert loop, written
    again = launch(outs[1], JAX_LOG_COMPILES="1")
    hits = set(re.findall(r"Persistent compilation cache hit for '[^']+' with key '([^']+)'", again.stderr))
    assert written <= hits, (written - hits, again.stderr[-3000:])  # chaque programme du 1er lancement relu, pas recompilé
    assert again.stdout.splitlines()[1:] == first.stdout.splitlines()[1:] and outs[0].read_bytes() == outs[1].read_bytes()
    for p in cache.glob("*-cache"): p.write_bytes(p.read_bytes()[:64])  # tronqués
    third = launch(outs[2])
    assert "persistent compilation cache" not in third.stderr  # effacés avant lecture : pas d'avertissement de JAX
    assert all(p.stat().st_size > 64 for p in cache.glob("*-cache"))  # aucun fichier tronqué ne reste
    assert loop <= entries()  # la boucle de génération réécrite en entier
    assert outs[2].read_bytes() == outs[0].read_bytes() and third.stdout.splitlines()[1:] == first.stdout.splitlines()[1:]
