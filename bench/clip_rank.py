"""CLIP ViT-B/32 : classer 8 candidats (256 × 256) pour un prompt, comme le fait le pipeline.

    python bench/clip_rank.py                    # ViT-B/32 (poids aléatoires), 8 candidats, 3 tours
    python bench/clip_rank.py --config miniature --candidates 8 16 --out bench/results/clip.json

`rank(clip, tokenizer, prompt, images)` : prétraitement (redimensionnement, recadrage 224, normalisation),
plongements des images et du texte, scores, tri. Poids tirés feuille par feuille (le temps ne dépend pas
des valeurs) ; tokenizer : celui de la piste miniature (ses ids tiennent dans le vocabulaire de ViT-B/32).
Une exécution de chauffe (compilation) puis `--reps` tours, médiane ; GFLOP des plongements d'images :
analyse de coût d'XLA ; plafond du produit matriciel mesuré avant chaque tour.
"""
import argparse
import json

import jax
import numpy as np

from _harness import compiled_flops, machine, matmul_probe, median, peak_rss_mb, random_like, runs_beside_peak, tree_bytes
from dalle_mini_nb.clip import CLIP, CLIPModule, load_tokenizer, miniature, preprocess_batch, rank, vit_b32


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="vit_b32", choices=["vit_b32", "miniature"])
    ap.add_argument("--candidates", type=int, nargs="+", default=[8])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    cfg = vit_b32() if a.config == "vit_b32" else miniature()
    clip, tok = CLIP(cfg, random_like(CLIP.abstract_params(cfg))), load_tokenizer("miniature")
    rng, probe = np.random.default_rng(0), matmul_probe()
    rows, S = [], cfg.vision_config.image_size
    for n in a.candidates:
        images = rng.random((n, 256, 256, 3), dtype=np.float32)  # comme les sorties du VQGAN, dans [0, 1]
        pix = preprocess_batch(images, S)
        flops = compiled_flops(lambda p, x: CLIPModule(cfg).apply({"params": p}, x, method="image_embeds"), clip.params, pix)
        call = lambda: rank(clip, tok, "un cercle rouge à gauche d'un carré bleu", images)
        first, times, peaks, loads = runs_beside_peak(call, a.reps, probe)
        rows.append({"candidates": n, "first_s": round(first, 3), "median_s": median(times), "runs_s": [round(x, 4) for x in times],
                     "image_gflop": flops / 1e9, "gflops": flops / median(times) / 1e9, "matmul_gflops": median(peaks), "load_avg": loads})
    res = {"bench": "clip_rank", "config": a.config, "params": clip.num_params, "param_bytes": tree_bytes(clip.params),
           "peak_rss_mb": round(peak_rss_mb(), 1), "machine": machine(), "rows": rows}
    print(json.dumps(res))
    if a.out:
        with open(a.out, "w") as f: json.dump(res, f, indent=1)
    print(f"\nCLIP {a.config} ({clip.num_params:,} paramètres), rank(…) de n candidats, pic RSS {res['peak_rss_mb']:.0f} Mo")
    print(f"{'n':>4} {'1er appel s':>12} {'médiane s':>10} {'s/image':>8} {'GFLOP images':>13} {'GFLOP/s':>8} {'matmul':>7} {'charge':>7}")
    for r in rows:
        print(f"{r['candidates']:>4} {r['first_s']:>12.2f} {r['median_s']:>10.3f} {r['median_s'] / r['candidates']:>8.3f} {r['image_gflop']:>13.1f} "
              f"{r['gflops']:>8.1f} {r['matmul_gflops']:>7.1f} {median(r['load_avg']):>7.1f}")


if __name__ == "__main__":
    main()
