"""Adhérence des images du pipeline miniature livré, mesurée par le vérificateur de *formes*.

    python bench/evaluate.py                          # validation et heldout, 200 légendes chacune, 8 candidats
    python bench/evaluate.py --n 500 --splits heldout
    python bench/evaluate.py --condition-scale 1,3 --top-k 0,50   # balayage des réglages (produit cartésien)

Pour chaque légende (les `n` premières de `formes_dataset(seed=data_seed)[split]`), le pipeline tire
`n_candidates` images en un appel ; on rapporte l'adhérence des échantillons bruts (part des
candidats justes), celle du top-1 de CLIP et l'oracle (au moins un candidat juste), avec des
intervalles à 95 %. Imprime une ligne JSON puis un tableau lisible.
"""
import argparse
import itertools
import json
import os
import time

import jax

from dalle_mini_nb.pipeline import DalleMini, evaluate


def floats(s): return [None if x in ("", "défaut") else float(x) for x in s.split(",")] if s else [None]
def ints(s): return [None if x in ("", "défaut") else int(x) for x in s.split(",")] if s else [None]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="miniature", help="« miniature » ou un dossier bart/ vqgan/ clip/")
    ap.add_argument("--splits", default="validation,heldout")
    ap.add_argument("--n", type=int, default=200, help="légendes par partie")
    ap.add_argument("--n-candidates", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0, help="graine des tirages")
    ap.add_argument("--data-seed", type=int, default=0, help="graine du jeu formes")
    ap.add_argument("--top-k", default=None, help="valeurs séparées par des virgules (0 : sans top-k)")
    ap.add_argument("--temperature", default=None)
    ap.add_argument("--condition-scale", default=None)
    a = ap.parse_args()

    t = time.perf_counter()
    pipe = DalleMini.from_pretrained(a.model)
    load_s = time.perf_counter() - t
    rows = []
    for top_k, temp, scale in itertools.product(ints(a.top_k), floats(a.temperature), floats(a.condition_scale)):
        for split in a.splits.split(","):
            r = evaluate(pipe, split=split, n=a.n, n_candidates=a.n_candidates, seed=a.seed, data_seed=a.data_seed,
                         top_k=top_k, temperature=temp, condition_scale=scale)
            rows.append(r)
            print(f"  … {split} {r['settings']} : brut {r['raw']:.1%}, top-1 CLIP {r['clip_top1']:.1%} ({r['seconds']:.0f} s)", flush=True)
    res = {"model": a.model, "device": jax.devices()[0].device_kind, "cpu_count": os.cpu_count(),
           "load_avg_1min": os.getloadavg()[0], "load_s": load_s, "rows": rows}
    print(json.dumps(res, ensure_ascii=False))
    print(f"\nadhérence (vérificateur de formes), {a.model}, {a.n_candidates} candidats par légende")
    print(f"{'partie':<11}{'légendes':>9}{'top-k':>6}{'temp.':>6}{'c':>5}{'brut':>8}{'IC 95 %':>15}{'top-1 CLIP':>11}"
          f"{'IC 95 %':>15}{'oracle':>8}{'s':>6}")
    pct = lambda ci: f"[{ci[0]:.0%}, {ci[1]:.0%}]"
    for r in rows:
        s = r["settings"]
        print(f"{r['split']:<11}{r['captions']:>9}{str(s['top_k']):>6}{s['temperature']:>6g}{s['condition_scale']:>5g}"
              f"{r['raw']:>8.1%}{pct(r['raw_ci95']):>15}{r['clip_top1']:>11.1%}{pct(r['clip_top1_ci95']):>15}"
              f"{r['oracle']:>8.1%}{r['seconds']:>6.0f}")


if __name__ == "__main__":
    main()
