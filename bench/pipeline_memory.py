"""Pic de mémoire du pipeline aux formes réelles (DalleBart v0 + décodeur VQGAN f16_16384 + CLIP ViT-B/32).

    python bench/pipeline_memory.py --make /tmp/dalle_full     # écrit un pipeline aléatoire (≈ 2,6 Go) au format du hub
    python bench/pipeline_memory.py /tmp/dalle_full            # le charge dans un processus neuf et mesure
    python bench/pipeline_memory.py /tmp/dalle_full --call     # … puis un appel de 8 candidats (long sur CPU)

Le chargement est celui de `DalleMini.from_pretrained(dossier)` : formes abstraites (`jax.eval_shape`),
puis les tableaux du fichier, sans initialisation aléatoire. On compare le pic de mémoire résidente
du processus (`ru_maxrss`, depuis son démarrage : il compte l'import de JAX, ≈ 0,3 Go) aux octets
des paramètres chargés. `--make` écrit des poids aléatoires (tirés feuille par feuille) et les
tokenizers de la piste miniature (leurs ids tiennent dans les vocabulaires réels).
"""
import argparse
import json
import os
import shutil
import time

from _harness import machine, peak_rss_mb, random_like, rss_mb, tree_bytes


def make(folder: str):
    "Écrit bart/ vqgan/ clip/ aux formes réelles, poids aléatoires, un modèle à la fois."
    from dalle_mini_nb.clip import CLIP, vit_b32
    from dalle_mini_nb.hub import miniature_path
    from dalle_mini_nb.model import DalleBart, DalleBartConfig
    from dalle_mini_nb.vqgan import VQGAN, VQGANConfig
    os.makedirs(folder, exist_ok=True)
    b = DalleBart(DalleBartConfig.v0(), random_like(DalleBart.abstract_params(DalleBartConfig.v0())))
    b.save_pretrained(os.path.join(folder, "bart")); del b
    shutil.copy(miniature_path("bart") / "tokenizer.json", os.path.join(folder, "bart", "tokenizer.json"))
    c = VQGANConfig.f16_16384()
    VQGAN(c, random_like(VQGAN.abstract_params(c))).save_pretrained(os.path.join(folder, "vqgan"))
    CLIP(vit_b32(), random_like(CLIP.abstract_params(vit_b32()))).save_pretrained(os.path.join(folder, "clip"))
    shutil.copy(miniature_path("clip") / "tokenizer.json", os.path.join(folder, "clip", "tokenizer.json"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--make", action="store_true")
    ap.add_argument("--call", action="store_true", help="faire aussi un appel (1 prompt, 8 candidats)")
    ap.add_argument("--out", default=None, help="fichier JSON où écrire le résultat")
    a = ap.parse_args()
    if a.make:
        make(a.folder); print(json.dumps({"made": a.folder, "bytes": sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(a.folder) for f in fs)})); return
    import jax
    jax.numpy.zeros(1).block_until_ready()
    base = peak_rss_mb()  # JAX importé, avant tout modèle
    from dalle_mini_nb.pipeline import DalleMini
    t = time.perf_counter(); pipe = DalleMini.from_pretrained(a.folder); load_s = time.perf_counter() - t
    parts = {"bart": tree_bytes(pipe.bart.params), "vqgan_decoder": tree_bytes(pipe.vqgan.params), "clip": tree_bytes(pipe.clip.params)}
    total = sum(parts.values()) / 2**20
    res = {"bench": "pipeline_memory", "machine": machine(), "load_s": round(load_s, 1), "param_mb": {k: round(v / 2**20, 1) for k, v in parts.items()},
           "param_total_mb": round(total, 1), "rss_before_load_mb": round(base, 1), "peak_rss_after_load_mb": round(peak_rss_mb(), 1),
           "rss_after_load_mb": round(rss_mb(), 1)}
    res["peak_over_params"] = res["peak_rss_after_load_mb"] / total
    res["peak_minus_jax_over_params"] = (res["peak_rss_after_load_mb"] - base) / total
    if a.call:
        t = time.perf_counter(); pipe("un cercle rouge", n_candidates=8, seed=0, progress=False, condition_scale=1.0)
        res |= {"call_s": round(time.perf_counter() - t, 1), "call_stages_s": pipe.timings, "peak_rss_after_call_mb": round(peak_rss_mb(), 1)}
    print(json.dumps(res))
    if a.out:
        with open(a.out, "w") as f: json.dump(res, f, indent=1)
    print(f"\nparamètres {total:.0f} Mo ({', '.join(f'{k} {v / 2**20:.0f}' for k, v in parts.items())}) ; JAX seul {base:.0f} Mo ; "
          f"pic après chargement {res['peak_rss_after_load_mb']:.0f} Mo = {res['peak_over_params']:.2f} × les paramètres "
          f"({res['peak_minus_jax_over_params']:.2f} × sans JAX)" + (f" ; pic après un appel {res['peak_rss_after_call_mb']:.0f} Mo" if a.call else ""))


if __name__ == "__main__":
    main()
