"""Cache de compilation (`compile_cache`, 00b_hub) : ce que gagne une commande relancée.

    python bench/compile_cache.py                 # `dalle-mini-nb` (8 candidats, miniature), 3 tours
    python bench/compile_cache.py --rounds 5 --n 4

Trois façons de lancer la même commande, chacune dans un processus neuf, tours alternés (même charge) :
- « sans cache » : `DALLE_MINI_NB_COMPILE_CACHE=0`, tout est compilé à chaque lancement (le comportement d'avant) ;
- « cache vide » : un dossier neuf à chaque tour : on compile et on écrit (le coût de l'écriture) ;
- « cache plein » : le dossier rempli par un lancement préalable : on relit au lieu de compiler.
On note le temps écoulé et le temps processeur (enfants) de chaque lancement, la médiane par façon, et la
taille du cache. Imprime une ligne JSON puis un tableau lisible ; vérifie que les trois grilles PNG sont identiques.
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import children_cpu

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "un cercle rouge à gauche d'un carré bleu"


def launch(cache: str, out: Path, n: int) -> dict:
    "Une commande `python -m dalle_mini_nb.pipeline` avec ce réglage du cache : secondes, secondes CPU, empreinte de la grille."
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DALLE_MINI_NB_COMPILE_CACHE": cache, "HF_HUB_OFFLINE": "1"}
    t, c = time.perf_counter(), children_cpu()
    r = subprocess.run([sys.executable, "-m", "dalle_mini_nb.pipeline", PROMPT, "--out", str(out), "--n", str(n), "--quiet"],
                       env=env, capture_output=True, text=True)
    if r.returncode: sys.exit(f"échec de la commande :\n{r.stderr[-3000:]}")
    return {"seconds": time.perf_counter() - t, "cpu_seconds": children_cpu() - c, "png": hashlib.sha256(out.read_bytes()).hexdigest()[:16]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=8, help="candidats générés")
    a = ap.parse_args()
    runs = {"sans cache": [], "cache vide": [], "cache plein": []}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); full = d / "plein"
        launch(str(full), d / "chauffe.png", a.n)  # remplit le cache « plein » (et chauffe les fichiers du disque)
        size = sum(p.stat().st_size for p in full.glob("*-cache")); entries = len(list(full.glob("*-cache")))
        for k in range(a.rounds):
            order = list(runs) if k % 2 == 0 else list(reversed(runs))
            for how in order:
                cache = {"sans cache": "0", "cache vide": str(d / f"vide{k}"), "cache plein": str(full)}[how]
                runs[how].append(launch(cache, d / f"{how}-{k}.png".replace(" ", "_"), a.n))
    pngs = {r["png"] for rs in runs.values() for r in rs}
    med = {h: {"seconds": statistics.median(r["seconds"] for r in rs), "cpu_seconds": statistics.median(r["cpu_seconds"] for r in rs),
               "rounds": [round(r["seconds"], 2) for r in rs]} for h, rs in runs.items()}
    print(json.dumps({"bench": "compile_cache", "command": f"dalle-mini-nb --n {a.n}", "cpus": os.cpu_count(),
                      "load_1min": round(os.getloadavg()[0], 2), "cache_entries": entries, "cache_bytes": size,
                      "same_png": len(pngs) == 1, "results": med}, ensure_ascii=False))
    base = med["sans cache"]["seconds"]
    print(f"\n`dalle-mini-nb --n {a.n}` (miniature), {a.rounds} tours alternés, {os.cpu_count()} cœurs ; cache : {entries} programmes, "
          f"{size / 1e6:.1f} Mo ; grilles identiques : {'oui' if len(pngs) == 1 else 'NON'}\n")
    print("| lancement | écoulé (s, médiane) | CPU (s) | × sans cache | tours (s) |\n|---|---:|---:|---:|---|")
    for h, m in med.items():
        print(f"| {h} | {m['seconds']:.2f} | {m['cpu_seconds']:.2f} | {m['seconds'] / base:.2f} | {' · '.join(map(str, m['rounds']))} |")
    sys.exit(0 if len(pngs) == 1 else 1)


if __name__ == "__main__":
    main()
