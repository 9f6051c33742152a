"""Parcours miniature : chaque notebook exécuté de haut en bas avec ses réglages par défaut (pas ceux des tests).

    python bench/walkthrough.py                              # tous les notebooks de nbs/, dans des copies
    python bench/walkthrough.py 06_entrainement 09_pipeline  # seulement ceux-là
    python bench/walkthrough.py 06_entrainement --inplace    # et garder les sorties dans nbs/ (puis nbdev_clean)
    python bench/walkthrough.py --compile-cache /tmp/cc      # cache de compilation gardé : lancer deux fois = une relance

Cache de compilation (`compile_cache`, 00b_hub) : par défaut un dossier neuf pour la passe, effacé à la fin — c'est
la première visite d'un apprenant (les notebooks suivants relisent ce que les premiers ont compilé) ; `--compile-cache
DIR` garde DIR d'une passe à l'autre (la 2e mesure une relance) ; `--compile-cache 0` le coupe.

C'est ce que fait un apprenant qui ouvre les notebooks dans l'ordre et lance « tout exécuter » :
`IN_TEST` n'est pas défini, les cellules `#|slow` tournent. Chaque notebook s'exécute dans son
propre noyau (`jupyter nbconvert --execute`), depuis `nbs/`, comme dans Jupyter. On note le temps
écoulé et le temps processeur du noyau (tous ses fils) : sur une machine partagée, seul le second
est fiable. Imprime une ligne JSON puis un tableau lisible ; s'arrête au premier échec (code 1).
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import children_cpu

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"


def run_notebook(path: Path, timeout: int, compile_cache: str) -> dict:
    "Exécute `path` sur place dans un noyau neuf ; rend le temps écoulé, le temps processeur et le verdict."
    bindir = Path(sys.executable).parent
    jupyter = bindir / "jupyter" if (bindir / "jupyter").exists() else shutil.which("jupyter")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DALLE_MINI_NB_COMPILE_CACHE": compile_cache}
    env.pop("IN_TEST", None)  # les réglages par défaut, pas ceux des tests
    cmd = [str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--inplace",
           f"--ExecutePreprocessor.timeout={timeout}", str(path)]
    t, c = time.perf_counter(), children_cpu()
    r = subprocess.run(cmd, cwd=path.parent, env=env, capture_output=True, text=True)
    out = {"seconds": round(time.perf_counter() - t, 1), "cpu_seconds": round(children_cpu() - c, 1), "ok": r.returncode == 0}
    if r.returncode: out["error"] = "\n".join(r.stderr.strip().splitlines()[-15:])
    else: out["slowest_cells"] = slowest_cells(path)
    return out


def slowest_cells(path: Path, n: int = 5) -> list:
    "Les `n` cellules les plus longues d'un notebook exécuté (horodatages de nbclient) : [(indice, secondes, début du code)]."
    from datetime import datetime
    cells = json.loads(path.read_text())["cells"]
    rows = []
    for i, c in enumerate(cells):
        ex = c.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in ex and "shell.execute_reply" in ex:
            t0, t1 = (datetime.fromisoformat(ex[k].replace("Z", "+00:00")) for k in ("iopub.execute_input", "shell.execute_reply"))
            src = "".join(c["source"]).strip().splitlines()
            rows.append((i, round((t1 - t0).total_seconds(), 1), next((l for l in src if not l.startswith("#|")), "")[:60]))
    return sorted(rows, key=lambda r: -r[1])[:n]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="noms (sans .ipynb) ; défaut : tous les notebooks numérotés, dans l'ordre")
    ap.add_argument("--inplace", action="store_true", help="écrire les sorties dans nbs/ (nettoyées par nbdev_clean)")
    ap.add_argument("--timeout", type=int, default=3600, help="limite par cellule, en secondes")
    ap.add_argument("--compile-cache", default=None, help="dossier du cache de compilation gardé (défaut : neuf pour la passe) ; 0 : coupé")
    a = ap.parse_args()
    fresh = None if a.compile_cache else tempfile.TemporaryDirectory(prefix="parcours-cache-")
    cache = a.compile_cache or fresh.name
    names = a.notebooks or sorted(p.stem for p in NBS.glob("[0-9]*.ipynb"))
    missing = [n for n in names if not (NBS / f"{n}.ipynb").is_file()]
    if missing: sys.exit(f"notebooks introuvables dans nbs/ : {', '.join(missing)}")
    rows = {}
    for n in names:
        src = NBS / f"{n}.ipynb"
        if a.inplace: target = src
        else:  # une copie à côté des originaux : mêmes chemins relatifs (fichiers voisins)
            target = NBS / f".parcours-{n}.ipynb"; shutil.copy(src, target)
        try:
            rows[n] = run_notebook(target, a.timeout, cache)
        finally:
            if not a.inplace: target.unlink(missing_ok=True)
        if a.inplace and rows[n]["ok"]:
            subprocess.run([str(Path(sys.executable).parent / "nbdev_clean"), "--fname", str(src)], check=True)
        print(f"{n:28s} {rows[n]['seconds']:8.1f} s {rows[n]['cpu_seconds']:8.1f} s CPU  {'ok' if rows[n]['ok'] else 'ÉCHEC'}",
              file=sys.stderr, flush=True)
        for i, sec, head in rows[n].get("slowest_cells", []): print(f"    cellule {i:3d} {sec:7.1f} s  {head}", file=sys.stderr)
        if not rows[n]["ok"]: break
    if fresh: fresh.cleanup()
    total = {"seconds": round(sum(r["seconds"] for r in rows.values()), 1),
             "cpu_seconds": round(sum(r["cpu_seconds"] for r in rows.values()), 1)}
    print(json.dumps({"bench": "walkthrough", "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                      "load_1min": round(os.getloadavg()[0], 2),
                      "compile_cache": "neuf" if fresh else a.compile_cache, "notebooks": rows, "total": total}, ensure_ascii=False))
    print(f"\n| notebook | écoulé (min) | processeur (min) |\n|---|---:|---:|")
    for n, r in rows.items(): print(f"| {n} | {r['seconds'] / 60:.1f} | {r['cpu_seconds'] / 60:.1f} |" + ("" if r["ok"] else " échec |"))
    print(f"| **total** | **{total['seconds'] / 60:.1f}** | **{total['cpu_seconds'] / 60:.1f}** |")
    sys.exit(0 if all(r["ok"] for r in rows.values()) else 1)


if __name__ == "__main__":
    main()
