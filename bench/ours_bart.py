"""Travailleur « le nôtre » : `dalle_mini_nb.generate.generate` aux formes v0, poids aléatoires.

Lancé par `bench/generate.py` (venv du projet), en miroir de `bench/baseline_bart.py` : même prompt
(128 jetons dont 8 utiles), `B` candidats d'un prompt, top-k 50, 256 codes, sans super-conditionnement.

    python bench/ours_bart.py --batch 8 --variant fp32

Variantes : `fp32` (poids et calcul float32), `bf16` (poids au repos et calcul bfloat16), `bf16w` (poids
au repos en bfloat16, calcul float32 : XLA convertit les poids une fois par appel). Une commande
`run` peut demander `steps` (N < 256 pas, pour l'extrapolation) ; sinon l'image complète.
"""
import argparse

import jax
import jax.numpy as jnp
import numpy as np

from _harness import random_like, serve, tree_bytes

VARIANTS = {"fp32": (jnp.float32, jnp.float32), "bf16": (jnp.bfloat16, jnp.bfloat16), "bf16w": (jnp.bfloat16, jnp.float32)}  # (poids au repos, calcul)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--variant", default="fp32", choices=list(VARIANTS))
    ap.add_argument("--text-length", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    def setup():
        from dalle_mini_nb.generate import generate
        from dalle_mini_nb.model import DalleBart, DalleBartConfig
        cfg = DalleBartConfig.v0()
        rest, compute = VARIANTS[a.variant]
        params = random_like(DalleBart.abstract_params(cfg), a.seed, dtype=rest)
        bart = DalleBart(cfg, params, dtype=compute)
        L = a.text_length
        ids = np.full((1, L), cfg.pad_token_id, np.int32); ids[0, :8] = [0, 10, 20, 30, 40, 50, 60, 2]
        mask = (np.arange(L) < 8).astype(np.int32)[None]
        state = {"seed": a.seed}
        def run(steps=None):
            state["seed"] += 1
            out = jax.block_until_ready(generate(bart, ids, mask, key=state["seed"], top_k=50, n_candidates=a.batch, steps=steps))
            assert out.shape == (a.batch, steps or cfg.image_length)
            return {"steps": steps or cfg.image_length}
        run()  # compilation + chauffe
        return run, {"impl": "dalle_mini_nb", "jax": jax.__version__, "batch": a.batch, "variant": a.variant,
                     "param_bytes": tree_bytes(params)}
    serve(setup)


if __name__ == "__main__":
    main()
