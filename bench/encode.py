"""Débit de l'encodage (images/s) avec le VQGAN miniature : une ligne JSON, puis un tableau lisible.

    python bench/encode.py                         # encode_pixels par lots de 8 à 256, puis encode_dataset de bout en bout
    python bench/encode.py --n 2048 --batch 16 32 --reps 5 --e2e-batch 16
    python bench/encode.py --weights DOSSIER       # poids d'un dossier (sinon les poids livrés, sinon aléatoires)

Deux mesures :
- `encode_pixels` seul (pixels uint8 en mémoire → codes), compilation exclue, médiane de `--reps` passes ;
- `encode_dataset` de bout en bout (shards parquet écrits), depuis des tableaux formes en mémoire et
  depuis un dossier de PNG (décodage, légendes `.txt`) ; la forme du lot est déjà compilée si ce lot
  figure parmi ceux d'`encode_pixels`.
Le débit ne dépend pas des valeurs des poids (mêmes calculs) : des poids aléatoires suffisent.
Aucune assertion de durée : on affiche des chiffres.
"""
import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import jax
from PIL import Image

from dalle_mini_nb import formes
from dalle_mini_nb.encoding import encode_dataset, encode_pixels, formes_source
from dalle_mini_nb.hub import miniature_path
from dalle_mini_nb.vqgan import VQGAN, VQGANConfig


def load(weights: str | None) -> tuple[VQGAN, str]:
    "Le VQGAN mesuré et l'origine de ses poids."
    if weights: return VQGAN.from_pretrained(weights), weights
    if miniature_path("vqgan").exists(): return VQGAN.from_pretrained(miniature_path("vqgan")), "miniature livré"
    return VQGAN.create(VQGANConfig.miniature(), jax.random.PRNGKey(0)), "miniature aléatoire"


def pixels_rate(vq, x, batch: int, reps: int) -> dict:
    "Débit d'`encode_pixels` par lots de `batch` : première passe (compilation) à part, médiane des suivantes."
    t0 = time.perf_counter(); encode_pixels(vq, x[:batch], batch); first = time.perf_counter() - t0
    times = []
    for _ in range(reps):
        t0 = time.perf_counter(); encode_pixels(vq, x, batch); times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {"what": "encode_pixels", "batch": batch, "n": len(x), "compile_s": round(first, 2), "seconds": round(med, 3),
            "images_per_s": round(len(x) / med, 1)}


def dataset_rate(vq, source, name: str, n: int, batch: int) -> dict:
    "Débit d'`encode_dataset` de bout en bout dans un dossier neuf."
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter(); encode_dataset(vq, source, Path(d) / "out", batch, shard_size=500, progress=False)
        secs = time.perf_counter() - t0
    return {"what": f"encode_dataset ({name})", "batch": batch, "n": n, "compile_s": None, "seconds": round(secs, 3),
            "images_per_s": round(n / secs, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", help="dossier au format du hub (sinon poids livrés, sinon aléatoires)")
    ap.add_argument("--n", type=int, default=512, help="images formes mesurées")
    ap.add_argument("--batch", type=int, nargs="+", default=[8, 16, 32, 64, 128, 256])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--e2e-batch", type=int, default=32, help="taille de lot des mesures de bout en bout")
    a = ap.parse_args()

    vq, origin = load(a.weights)
    x, caps, _ = formes.generate(a.n, seed=4)
    rows = [pixels_rate(vq, x, b, a.reps) for b in a.batch]
    rows.append(dataset_rate(vq, formes_source(a.n, seed=4), "tableaux formes", a.n, a.e2e_batch))
    with tempfile.TemporaryDirectory() as d:
        for i, (img, t) in enumerate(zip(x, caps)):
            Image.fromarray(img).save(Path(d) / f"{i:05d}.png"); (Path(d) / f"{i:05d}.txt").write_text(t, encoding="utf-8")
        rows.append(dataset_rate(vq, d, "dossier de PNG", a.n, a.e2e_batch))

    info = {"bench": "encode", "weights": origin, "config": vq.config.to_dict(), "params": vq.num_params,
            "device": str(jax.devices()[0]), "cpus": os.cpu_count(), "machine": platform.machine(), "rows": rows}
    print(json.dumps(info, ensure_ascii=False))
    print(f"\nVQGAN {origin} ({vq.num_params:,} paramètres, {vq.config.resolution}×{vq.config.resolution} → "
          f"{vq.config.num_tokens} codes) sur {info['device']}, {info['cpus']} cœurs")
    print(f"{'mesure':<34} {'lot':>4} {'images':>7} {'compil. (s)':>12} {'durée (s)':>10} {'images/s':>9}")
    for r in rows:
        comp = f"{r['compile_s']:.2f}" if r["compile_s"] is not None else "—"
        print(f"{r['what']:<34} {r['batch']:>4} {r['n']:>7} {comp:>12} {r['seconds']:>10.3f} {r['images_per_s']:>9.1f}")


if __name__ == "__main__":
    main()
