"""Temps d'un appel du pipeline : chargement, premier appel (compilation comprise), appels suivants.

    python bench/pipeline.py                    # miniature livré, 1 prompt × 8 candidats
    python bench/pipeline.py --prompts 1,4 --candidates 8,32 --repeat 5

Chaque configuration : le premier appel (il compile encodeur + boucle de génération, décodeur du
VQGAN et CLIP pour cette forme de lot), puis la médiane et le minimum de `repeat` appels, avec le
détail par étape (`pipe.timings` : texte, codes, images, CLIP) du meilleur appel. Imprime une ligne
JSON puis un tableau lisible.
"""
import argparse
import json
import os
import statistics
import time

import jax

from dalle_mini_nb.pipeline import EXAMPLE, DalleMini

PROMPTS = [EXAMPLE, "un petit triangle jaune en bas", "un grand carré bleu au centre", "un losange vert sous un cercle rouge"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="miniature")
    ap.add_argument("--prompts", default="1", help="nombres de prompts par appel")
    ap.add_argument("--candidates", default="8", help="candidats par prompt")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    t = time.perf_counter(); pipe = DalleMini.from_pretrained(a.model); load_s = time.perf_counter() - t
    rows = []
    for P in (int(x) for x in a.prompts.split(",")):
        for n in (int(x) for x in a.candidates.split(",")):
            prompts = (PROMPTS * P)[:P]
            call = lambda: pipe(prompts, n_candidates=n, seed=0, progress=False)
            t = time.perf_counter(); call(); first = time.perf_counter() - t
            times, stages = [], None
            for _ in range(a.repeat):
                t = time.perf_counter(); call(); dt = time.perf_counter() - t
                if not times or dt < min(times): stages = dict(pipe.timings)
                times.append(dt)
            rows.append({"prompts": P, "candidates": n, "first_s": first, "median_s": statistics.median(times), "min_s": min(times),
                         "s_per_image": min(times) / (P * n), "stages_s": stages})
    res = {"model": a.model, "device": jax.devices()[0].device_kind, "cpu_count": os.cpu_count(),
           "load_avg_1min": os.getloadavg()[0], "load_s": load_s, "repeat": a.repeat, "defaults": pipe.defaults, "rows": rows}
    print(json.dumps(res, ensure_ascii=False))
    print(f"\npipe(…), {a.model}, {res['device']} ({res['cpu_count']} cœurs), chargement {load_s:.1f} s, charge {res['load_avg_1min']:.1f}")
    print(f"{'prompts':>8}{'cand.':>6}{'1er appel s':>12}{'médiane s':>10}{'min s':>8}{'s/image':>9}  étapes du meilleur appel (s)")
    for r in rows:
        st = ", ".join(f"{k} {v:.3f}" for k, v in r["stages_s"].items())
        print(f"{r['prompts']:>8}{r['candidates']:>6}{r['first_s']:>12.2f}{r['median_s']:>10.3f}{r['min_s']:>8.3f}{r['s_per_image']:>9.4f}  {st}")


if __name__ == "__main__":
    main()
