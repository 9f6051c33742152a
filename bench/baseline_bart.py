"""Travailleur de référence : `FlaxBartForConditionalGeneration.generate` de transformers 4.57 (Flax), formes v0.

Lancé par `bench/generate.py` et `bench/end_to_end.py` dans le venv de référence (voir `bench/README.md`) :

    .benchenv/bin/python bench/baseline_bart.py --batch 8 --dtype float32

C'est le chemin d'inférence d'origine de DALL·E mini (sa classe hérite de celle-ci) : un BART aux formes
v0 (D = 1024, 12 + 12 couches, 16 têtes, MLP 4096, vocabulaire 16 385, jeton de départ 16 384), une tête
`lm_head` séparée comme le v0 (`tie_word_embeddings=False`), un prompt de 128 jetons dont 8 utiles,
`do_sample`, top-k 50, `num_beams=1`, `max_length=257`, fin de suite et remplissage sur un id jamais
tiré (toujours 256 pas), le tout dans `jax.jit`. Le lot de `B` images répète le prompt `B` fois.
Poids aléatoires (numpy) chargés sans initialisation aléatoire de Flax (`_do_init=False`) ; en
`bfloat16`, poids au repos et calcul en bfloat16 (arbre tiré en bfloat16, comme `to_bf16`, + `dtype`), la façon de faire de transformers.
"""
import argparse

import jax
import jax.numpy as jnp
import numpy as np

from _harness import random_like, serve, tree_bytes


def make_generate(batch: int, dtype: str = "float32", text_length: int = 128, max_length: int = 257, seed: int = 0):
    "La génération de référence, compilée et chauffée : `(run, info)` ; `run()` rend les suites (B, max_length)."
    import transformers
    from transformers import BartConfig, FlaxBartForConditionalGeneration
    unreachable = 16385 + 7  # fin de suite et remplissage : jamais tirés
    cfg = BartConfig(vocab_size=16385, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
                     decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, max_position_embeddings=1024,
                     activation_function="gelu", scale_embedding=False, tie_word_embeddings=False,
                     decoder_start_token_id=16384, bos_token_id=0, eos_token_id=unreachable, pad_token_id=unreachable,
                     forced_bos_token_id=None, forced_eos_token_id=None)
    dt = jnp.dtype(dtype)
    model = FlaxBartForConditionalGeneration(cfg, dtype=dt, _do_init=False)
    shapes = jax.eval_shape(lambda k: model.init_weights(k, (1, 1)), jax.random.PRNGKey(0))
    params = random_like(shapes, seed, dtype=dt)  # en bfloat16 : tout l'arbre, comme `model.to_bf16(params)`
    ids = np.full((batch, text_length), 1, np.int32); ids[:, :8] = [0, 10, 20, 30, 40, 50, 60, 2]
    mask = np.zeros((batch, text_length), np.int32); mask[:, :8] = 1
    gen = jax.jit(lambda p, i, m, k: model.generate(i, attention_mask=m, params=p, prng_key=k, do_sample=True, top_k=50,
                                                     num_beams=1, max_length=max_length).sequences)
    state = {"key": jax.random.PRNGKey(seed)}
    def run():
        state["key"], k = jax.random.split(state["key"])
        out = jax.block_until_ready(gen(params, ids, mask, k))
        assert out.shape == (batch, max_length)
        return out
    run()  # compilation + chauffe
    return run, {"impl": "transformers FlaxBart", "transformers": transformers.__version__, "jax": jax.__version__,
                 "batch": batch, "dtype": dtype, "param_bytes": tree_bytes(params)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--text-length", type=int, default=128)
    ap.add_argument("--max-length", type=int, default=257)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    def setup():
        run, info = make_generate(a.batch, a.dtype, a.text_length, a.max_length, a.seed)
        def go(): run()  # une génération complète ; la durée est prise par `serve`
        return go, info
    serve(setup)


if __name__ == "__main__":
    main()
