"""Durée de `VQGAN.decode_code` (et de `__call__`) : une ligne JSON, puis un tableau lisible.

    python bench/vqgan_decode.py                              # miniature, lots de 1, 8 et 16
    python bench/vqgan_decode.py --config f16_16384 --batch 1 4
    python bench/vqgan_decode.py --weights DOSSIER            # poids d'un dossier (sinon aléatoires)

Squelette : le travail de performance (bf16, lots, décodeur seul sur accélérateur) vient plus tard.
Les poids aléatoires sont tirés avec numpy, sans compiler d'initialisation : les durées ne
dépendent pas des valeurs. Aucune assertion de durée : on affiche des chiffres.
"""
import argparse
import json
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np

from dalle_mini_nb.vqgan import VQGAN, VQGANConfig


def random_params(config: VQGANConfig, decoder_only: bool, seed: int = 0):
    "Un arbre de paramètres aux formes de `config`, tiré avec numpy (rapide, sans compilation)."
    rng = np.random.default_rng(seed)
    abstract = VQGAN.abstract_params(config, decoder_only=decoder_only)
    return jax.tree_util.tree_map(lambda s: jnp.asarray(rng.normal(0, 0.02, s.shape).astype(np.float32)), abstract)


def timed(f, *args, reps: int) -> tuple[float, float]:
    "(secondes du premier appel, compilation comprise ; secondes moyennes des appels suivants)."
    t0 = time.perf_counter(); jax.block_until_ready(f(*args)); first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(reps): jax.block_until_ready(f(*args))
    return first, (time.perf_counter() - t0) / reps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="miniature", choices=["miniature", "f16_16384"])
    ap.add_argument("--weights", help="dossier au format du hub (sinon poids aléatoires)")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8, 16])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--call", action="store_true", help="mesurer aussi __call__ (encodeur + décodeur)")
    a = ap.parse_args()

    if a.weights:
        vq = VQGAN.from_pretrained(a.weights, decoder_only=not a.call)
    else:
        config = getattr(VQGANConfig, a.config)()
        vq = VQGAN(config, random_params(config, decoder_only=not a.call))
    c, rng = vq.config, np.random.default_rng(1)
    rows = []
    for b in a.batch:
        codes = rng.integers(0, c.n_embed, (b, c.num_tokens), dtype=np.int32)
        first, mean = timed(vq.decode_code, codes, reps=a.reps)
        rows.append({"method": "decode_code", "batch": b, "first_s": round(first, 3), "mean_s": round(mean, 4),
                     "images_per_s": round(b / mean, 1)})
        if a.call:
            images = rng.random((b, c.resolution, c.resolution, c.in_channels), dtype=np.float32)
            first, mean = timed(vq, images, reps=a.reps)
            rows.append({"method": "__call__", "batch": b, "first_s": round(first, 3), "mean_s": round(mean, 4),
                         "images_per_s": round(b / mean, 1)})
    info = {"bench": "vqgan_decode", "config": a.weights or a.config, "params": vq.num_params,
            "device": str(jax.devices()[0]), "machine": platform.machine(), "rows": rows}
    print(json.dumps(info))
    print(f"\nVQGAN {info['config']} ({vq.num_params:,} paramètres chargés) sur {info['device']}")
    print(f"{'méthode':<12} {'lot':>4} {'1er appel (s)':>14} {'moyenne (s)':>12} {'images/s':>9}")
    for r in rows:
        print(f"{r['method']:<12} {r['batch']:>4} {r['first_s']:>14.3f} {r['mean_s']:>12.4f} {r['images_per_s']:>9.1f}")


if __name__ == "__main__":
    main()
