"""Entraîne le CLIP miniature sur *formes* et mesure : durée, recherche de légende, poids.

    python bench/clip_miniature.py                 # recette MINIATURE_RECIPE, évaluation sur 1000 + 1000 images
    python bench/clip_miniature.py --save          # écrit aussi les poids livrés (dalle_mini_nb/weights/miniature/clip)
    python bench/clip_miniature.py --steps 200     # essai rapide (montée : un dixième des pas)
    python bench/clip_miniature.py --compare-shipped   # et l'écart max avec les poids livrés (0 : identiques au bit)
    python bench/clip_miniature.py --eval-only     # mesure les poids livrés, sans entraîner

Une ligne JSON, puis un tableau lisible. La durée d'entraînement est l'horloge murale de la boucle
(compilation comprise, génération des données exclue, comptée à part) ; `cpu_s` est le temps CPU
du processus pendant la boucle : sur une machine partagée, l'horloge murale s'allonge, pas lui.
Aucune assertion : on affiche des chiffres.
"""
import argparse
import json
import os
import platform
import time

import numpy as np

from dalle_mini_nb import formes
from dalle_mini_nb.clip import (CLIP, MINIATURE_RECIPE, formes_distractors, load_tokenizer, miniature_recipe, rank,
                                retrieval_accuracy, train_miniature)
from dalle_mini_nb.hub import flat, miniature_path


def evaluate(clip, tok, n_eval: int, seed: int = 0) -> dict:
    "Recherche de légende (8 distracteurs) sur validation et heldout, distracteurs ordinaires et voisins."
    ds = formes.formes_dataset(seed, n_train=0, n_validation=n_eval, n_heldout=n_eval)
    out = {}
    for split in ("validation", "heldout"):
        im, cap, desc = formes.formes_arrays(ds[split])
        for kind, near in (("other", False), ("near", True)):
            dis = formes_distractors(im, cap, desc, 8, seed=1, near=near)
            out[f"{split}_{kind}"] = retrieval_accuracy(clip, tok, im, cap, dis)["accuracy"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=MINIATURE_RECIPE["steps"])
    ap.add_argument("--n-eval", type=int, default=1000)
    ap.add_argument("--save", action="store_true", help="écrire les poids livrés")
    ap.add_argument("--eval-only", action="store_true", help="évaluer les poids livrés")
    ap.add_argument("--compare-shipped", action="store_true", help="écart max (paramètre par paramètre) avec les poids livrés")
    a = ap.parse_args()

    res = {"machine": platform.machine(), "cpus": os.cpu_count(), "recipe": miniature_recipe(steps=a.steps)}
    if a.eval_only:
        clip, tok = CLIP.from_pretrained("miniature"), load_tokenizer("miniature")
    else:
        shipped = flat(CLIP.from_pretrained("miniature").params) if a.compare_shipped else None  # lus avant un --save
        clip, tok, hist = train_miniature(a.seed, miniature_path("clip") if a.save else None, progress=False, steps=a.steps)
        if shipped is not None:
            res["max_gap_to_shipped"] = max(float(np.abs(np.asarray(v) - shipped[k]).max()) for k, v in flat(clip.params).items())
        res |= {"train_s": round(hist["seconds"], 1), "data_s": round(hist["data_seconds"], 1),
                "cpu_s": round(hist["cpu_seconds"], 1), "final_loss": round(float(hist["loss"][-50:].mean()), 4),
                "temperature": round(float(hist["temperature"][-1]), 2)}
    res |= {"params": clip.num_params, "vocab": tok.vocab_size}
    if a.save or a.eval_only:
        res["weights_bytes"] = {p.name: p.stat().st_size for p in sorted(miniature_path("clip").iterdir())}
    t0 = time.time()
    res |= {k: round(v, 4) for k, v in evaluate(clip, tok, a.n_eval).items()} | {"eval_s": round(time.time() - t0, 1)}
    print(json.dumps(res, ensure_ascii=False))
    print(f"\n{'mesure':<28}{'valeur':>14}")
    for k, v in res.items():
        if k != "recipe": print(f"{k:<28}{str(v):>14}")


if __name__ == "__main__":
    main()
