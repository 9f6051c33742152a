"""Vitesse de DalleBart en génération : encodeur, cache, un pas de décodage, boucle gloutonne complète.

    python bench/bart_decode.py                    # miniature (formes), CPU
    python bench/bart_decode.py --preset v0 --batch 4 --dtype bfloat16   # taille réelle (GPU conseillé)

Compare aussi la boucle avec cache à la boucle naïve qui refait tout le décodeur à chaque code
(coût quadratique), pour montrer ce que le cache rapporte. Poids aléatoires (les temps ne
dépendent pas des valeurs). Imprime une ligne JSON puis un tableau lisible.
"""
import argparse
import json
import time

import jax
import jax.numpy as jnp
from jax import lax

from dalle_mini_nb.model import DalleBart, DalleBartConfig, DalleBartModule, greedy_decode


def timed(fn, *args, repeat=3):
    "Meilleur temps (s) de `fn(*args)` après une exécution de chauffe (compilation)."
    jax.block_until_ready(fn(*args))
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter(); jax.block_until_ready(fn(*args)); best = min(best, time.perf_counter() - t)
    return best


def naive_greedy(bart, params, ids, mask, steps):
    "Boucle gloutonne sans cache : tout le décodeur sur toute la suite, à chaque code."
    S = bart.config.image_length + 1
    enc = bart.encode(params, ids, mask)
    seq = jnp.full((ids.shape[0], S), bart.config.decoder_start_token_id, jnp.int32)
    def body(i, seq):
        logits = bart._apply(params, DalleBartModule.decode, seq[:, :-1], enc, mask)  # (B, S-1, V)
        return seq.at[:, i + 1].set(jnp.argmax(logits[:, i], -1).astype(jnp.int32))
    return lax.fori_loop(0, steps, body, seq)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", choices=["miniature", "v0"], default="miniature")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--text-length", type=int, default=None, help="L (défaut : 32 miniature, 128 v0)")
    ap.add_argument("--dtype", default="float32", help="type du calcul : float32 ou bfloat16")
    ap.add_argument("--no-naive", action="store_true", help="ne pas mesurer la boucle sans cache")
    a = ap.parse_args()

    cfg = DalleBartConfig.miniature() if a.preset == "miniature" else DalleBartConfig.v0()
    L = a.text_length or (32 if a.preset == "miniature" else 128)
    bart = DalleBart.from_config(cfg, jax.random.PRNGKey(0), dtype=a.dtype)
    ids = jax.random.randint(jax.random.PRNGKey(1), (a.batch, L), 3, cfg.vocab_size).at[:, 0].set(0)
    mask = jnp.ones_like(ids)
    p = bart.params

    encode = jax.jit(lambda p, i, m: bart.encode(p, i, m))
    enc = encode(p, ids, mask)
    init = jax.jit(lambda p, e, m: bart.init_cache(p, e, m))
    cache = init(p, enc, mask)
    step = jax.jit(lambda p, c, t, i: bart.decode_step(p, c, t, i))
    tok = jnp.full((a.batch,), cfg.decoder_start_token_id, jnp.int32)
    res = {"preset": a.preset, "device": jax.devices()[0].device_kind, "backend": jax.default_backend(),
           "batch": a.batch, "text_length": L, "image_length": cfg.image_length, "dtype": a.dtype,
           "params": bart.num_params,
           "encode_ms": 1e3 * timed(encode, p, ids, mask),
           "init_cache_ms": 1e3 * timed(init, p, enc, mask),
           "decode_step_ms": 1e3 * timed(step, p, cache, tok, 5),
           "greedy_s": timed(lambda: greedy_decode(bart, ids, mask))}
    res["codes_per_s"] = a.batch * cfg.image_length / res["greedy_s"]
    if not a.no_naive:
        naive = jax.jit(lambda p, i, m: naive_greedy(bart, p, i, m, cfg.image_length))
        res["naive_greedy_s"] = timed(naive, p, ids, mask, repeat=1)
        res["cache_speedup"] = res["naive_greedy_s"] / res["greedy_s"]
    print(json.dumps(res))
    print(f"\nDalleBart {a.preset} ({res['params']:,} paramètres), {res['device']}, B = {a.batch}, L = {L}, S = {cfg.image_length}, calcul {a.dtype}")
    rows = [("encodeur (une fois par prompt)", f"{res['encode_ms']:.2f} ms"),
            ("init_cache (K/V croisées)", f"{res['init_cache_ms']:.2f} ms"),
            ("un decode_step", f"{res['decode_step_ms']:.3f} ms"),
            (f"génération gloutonne ({cfg.image_length} codes)", f"{res['greedy_s']:.3f} s ({res['codes_per_s']:.0f} codes/s)")]
    if "naive_greedy_s" in res:
        rows.append(("… sans cache (tout recalculer)", f"{res['naive_greedy_s']:.3f} s (cache ×{res['cache_speedup']:.1f})"))
    for k, v in rows: print(f"  {k:<38} {v}")


if __name__ == "__main__":
    main()
