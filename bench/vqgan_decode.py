"""Décodage VQGAN (`VQGAN.decode_code`) : s/image, GFLOP/s face au produit matriciel mesuré, mémoire.

    python bench/vqgan_decode.py                                   # miniature, lots de 1, 8 et 16
    python bench/vqgan_decode.py --config f16_16384 --batch 1 8    # le VQGAN de DALL·E mini (poids aléatoires)
    python bench/vqgan_decode.py --weights DOSSIER                 # poids d'un dossier (sinon aléatoires)
    python bench/vqgan_decode.py --config f16_16384 --out bench/results/vqgan.json

Décodeur seul (`decoder_only`) : on ne charge que le dictionnaire, `post_quant_conv` et le décodeur,
poids tirés feuille par feuille (pas de copie numpy, pas d'initialisation compilée). Chaque lot :
une exécution de chauffe (compilation), puis `--reps` tours ; à chaque tour, le plafond du produit
matriciel float32 (`_harness.probes`, mesuré juste avant, même charge) puis un décodage. FLOP du
décodage : l'analyse de coût d'XLA du programme compilé. On rapporte la médiane des tours, la part
du plafond atteinte (médiane des rapports tour par tour), le pic de mémoire résidente du processus
et les octets des paramètres. Aucune assertion de durée.
"""
import argparse
import json
import os
import time

import jax
import numpy as np

from _harness import compiled_flops, machine, matmul_probe, median, peak_rss_mb, random_like, rss_mb, runs_beside_peak, tree_bytes
from dalle_mini_nb.vqgan import VQGAN, VQGANConfig, VQGANModule


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="miniature", choices=["miniature", "f16_16384"])
    ap.add_argument("--weights", help="dossier au format du hub (sinon poids aléatoires)")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8, 16])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    t0 = time.perf_counter()
    if a.weights:
        vq = VQGAN.from_pretrained(a.weights, decoder_only=True)
    else:
        config = getattr(VQGANConfig, a.config)()
        vq = VQGAN(config, random_like(VQGAN.abstract_params(config, decoder_only=True)))
    load_s, rss_loaded = time.perf_counter() - t0, rss_mb()
    c, rng = vq.config, np.random.default_rng(1)
    probe = matmul_probe()
    rows = []
    for b in a.batch:
        codes = rng.integers(0, c.n_embed, (b, c.num_tokens), dtype=np.int32)
        flops = compiled_flops(lambda p, z: VQGANModule(c).apply({"params": p}, z, method="decode_code"), vq.params, codes)
        first, times, peaks, loads = runs_beside_peak(lambda: jax.block_until_ready(vq.decode_code(codes)), a.reps, probe, probe_reps=3)
        fracs = [flops / s / 1e9 / p for s, p in zip(times, peaks)]
        rows.append({"batch": b, "first_s": round(first, 3), "median_s": round(median(times), 4), "runs_s": [round(x, 4) for x in times],
                     "s_per_image": median(times) / b, "gflop_per_image": flops / b / 1e9, "gflops": flops / median(times) / 1e9,
                     "matmul_gflops": median(peaks), "of_matmul_peak": median(fracs), "load_avg": loads})
        print(f"  … lot {b} : {rows[-1]['s_per_image']:.3f} s/image, {rows[-1]['gflops']:.0f} GFLOP/s "
              f"({100 * rows[-1]['of_matmul_peak']:.0f} % du produit matriciel)", flush=True)
    info = {"bench": "vqgan_decode", "config": a.weights or a.config, "decoder_only": True, "params": vq.num_params,
            "param_bytes": tree_bytes(vq.params), "load_s": round(load_s, 2), "rss_after_load_mb": round(rss_loaded, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1), "machine": machine(), "device": str(jax.devices()[0]), "rows": rows}
    print(json.dumps(info))
    if a.out:
        with open(a.out, "w") as f: json.dump(info, f, indent=1)
    print(f"\nVQGAN {info['config']}, décodeur seul ({vq.num_params:,} paramètres, {info['param_bytes'] / 2**20:.0f} Mo), "
          f"pic RSS {info['peak_rss_mb']:.0f} Mo, {info['machine']['cpu']} ({info['machine']['cores']} cœurs)")
    print(f"{'lot':>4} {'1er appel s':>12} {'médiane s':>10} {'s/image':>8} {'GFLOP/im':>9} {'GFLOP/s':>8} {'matmul':>7} {'part':>6} {'charge':>8}")
    for r in rows:
        print(f"{r['batch']:>4} {r['first_s']:>12.2f} {r['median_s']:>10.3f} {r['s_per_image']:>8.3f} {r['gflop_per_image']:>9.1f} "
              f"{r['gflops']:>8.1f} {r['matmul_gflops']:>7.1f} {100 * r['of_matmul_peak']:>5.0f}% {median(r['load_avg']):>8.1f}")


if __name__ == "__main__":
    main()
