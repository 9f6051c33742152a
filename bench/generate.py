"""Vitesse et mémoire de `generate` : secondes par image, avec/sans cache, float32/bfloat16.

    python bench/generate.py                                   # miniature, 64 codes mesurés en entier
    python bench/generate.py --preset v0 --steps 4,36          # v0 : N pas mesurés, extrapolés à 256
    python bench/generate.py --preset v0 --steps 4,36 --batches 8 --scales 3 --variants fp32

Poids aléatoires (le temps ne dépend pas des valeurs), un prompt de `L` jetons (32 miniature,
128 v0) dont 8 utiles, `n` candidats (« batch » = images par appel), top-k 50.

Avec `--steps N1,N2`, chaque configuration est chronométrée à N1 puis N2 pas (même fonction
compilée : le nombre de pas est un argument) ; le coût d'un pas est `(t2 − t1) / (N2 − N1)`, le
coût fixe (encodeur, cache) `t1 − N1 · pas`, et le temps d'une image complète est extrapolé à
`fixe + S · pas`. C'est exact tant qu'un pas coûte le même prix quelle que soit sa position, ce
qui est le cas ici (formes fixes : le cache fait toujours `S` positions ; sans cache, le décodeur
tourne toujours sur les `S` positions). Les lignes extrapolées ont `"extrapolated": true`. Prenez
un écart N2 − N1 assez grand : sur une machine chargée, le bruit de t1 et t2 est divisé par cet écart
puis multiplié par S. La charge de la machine au départ est notée (`load_avg_1min`).

Variantes : `fp32` (poids et calcul float32), `bf16` (calcul bfloat16, poids float32),
`bf16-params` (poids et calcul bfloat16), `uncached-fp32` (sans cache). Imprime une ligne JSON puis
un tableau lisible.
"""
import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

from dalle_mini_nb.generate import cache_bytes, generate, generate_memory
from dalle_mini_nb.hub import cast_params
from dalle_mini_nb.model import DalleBart, DalleBartConfig

VARIANTS = {"fp32": dict(), "bf16": dict(dtype=jnp.bfloat16), "bf16-params": dict(dtype=jnp.bfloat16, params="bf16"),
            "uncached-fp32": dict(use_cache=False)}


def timed(fn, repeat: int) -> float:
    "Meilleur temps (s) de `fn()` sur `repeat` essais."
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter(); jax.block_until_ready(fn()); best = min(best, time.perf_counter() - t)
    return best


def measure(bart, ids, mask, n, scale, variant, steps, repeat, p16) -> dict:
    "Une configuration : compilation, temps (mesuré ou extrapolé), mémoire XLA."
    kw = dict(VARIANTS[variant]); S = bart.config.image_length
    if kw.get("params") == "bf16": kw["params"] = p16
    call = lambda k: generate(bart, ids, mask, key=0, n_candidates=n, condition_scale=scale, steps=k, **kw)
    t = time.perf_counter(); jax.block_until_ready(call(steps[0] if steps else None)); compile_s = time.perf_counter() - t
    if steps:
        t1, t2 = timed(lambda: call(steps[0]), repeat), timed(lambda: call(steps[1]), repeat)
        step_s = (t2 - t1) / (steps[1] - steps[0]); fixed_s = max(t1 - steps[0] * step_s, 0.0); total = fixed_s + S * step_s
    else:
        total = timed(lambda: call(None), repeat); step_s = fixed_s = None
    mem = generate_memory(bart, ids, mask, n_candidates=n, condition_scale=scale, **kw)
    dt = kw.get("dtype", jnp.float32)
    return {"variant": variant, "batch": n, "condition_scale": scale, "s_per_image": total / n, "s_per_call": total,
            "step_ms": None if step_s is None else 1e3 * step_s, "fixed_s": fixed_s, "compile_s": compile_s,
            "extrapolated": bool(steps), "steps_measured": list(steps) if steps else S,
            "xla_temp_mb": mem["temp"] / 2**20, "xla_args_mb": mem["arguments"] / 2**20,
            "cache_formula_mb": cache_bytes(bart.config, 1, n, ids.shape[1], scale != 1.0, dt)["total"] / 2**20}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=["miniature", "v0"], default="miniature")
    ap.add_argument("--batches", default="1,8", help="images par appel (candidats d'un prompt)")
    ap.add_argument("--scales", default="1,3", help="condition_scale (1 : sans super-conditionnement)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"parmi {list(VARIANTS)}")
    ap.add_argument("--uncached-batches", default=None, help="batches pour la variante sans cache (défaut : tous ; v0 : 1)")
    ap.add_argument("--steps", default=None, help="N1,N2 : mesurer N1 et N2 pas et extrapoler (défaut : image complète ; v0 : 4,36)")
    ap.add_argument("--uncached-steps", default=None, help="N1,N2 pour la variante sans cache (défaut : --steps ; v0 : 1,3)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    v0 = a.preset == "v0"
    cfg = DalleBartConfig.v0() if v0 else DalleBartConfig.miniature()
    L = 128 if v0 else 32
    parse = lambda s: tuple(int(x) for x in s.split(",")) if s else None
    steps = parse(a.steps or ("4,36" if v0 else None))
    un_steps = parse(a.uncached_steps or ("1,3" if v0 else a.steps))
    batches = parse(a.batches); un_batches = parse(a.uncached_batches or ("1" if v0 else a.batches))
    t = time.perf_counter()
    bart = DalleBart.from_config(cfg, jax.random.PRNGKey(0))
    p16 = cast_params(bart.params, jnp.bfloat16)
    init_s = time.perf_counter() - t
    ids = np.full((1, L), cfg.pad_token_id, np.int32); ids[0, :8] = [0, 10, 20, 30, 40, 50, 60, 2]
    mask = (np.arange(L) < 8).astype(np.int32)[None]

    rows = []
    for variant in a.variants.split(","):
        for n in (un_batches if variant.startswith("uncached") else batches):
            for scale in (float(s) for s in a.scales.split(",")):
                r = measure(bart, ids, mask, n, scale, variant, un_steps if variant.startswith("uncached") else steps, a.repeat, p16)
                rows.append(r); print(f"  … {variant} B={n} c={scale:g} : {r['s_per_image']:.4f} s/image", flush=True)
    res = {"preset": a.preset, "backend": jax.default_backend(), "device": jax.devices()[0].device_kind,
           "cpu_count": os.cpu_count(), "load_avg_1min": os.getloadavg()[0], "params": bart.num_params, "text_length": L, "image_length": cfg.image_length,
           "top_k": 50, "init_s": init_s, "rows": rows}
    print(json.dumps(res))
    print(f"\ngenerate, DalleBart {a.preset} ({bart.num_params:,} paramètres), {res['device']} ({res['cpu_count']} cœurs), "
          f"L = {L}, S = {cfg.image_length}, top-k 50")
    print(f"{'variante':<15}{'B':>3}{'c':>4}{'s/image':>10}{'s/appel':>10}{'ms/pas':>9}{'fixe s':>8}{'compil. s':>10}"
          f"{'XLA temp Mo':>12}{'cache Mo':>10}  mesure")
    for r in rows:
        how = f"{r['steps_measured'][0]},{r['steps_measured'][1]} pas → {cfg.image_length}" if r["extrapolated"] else "image complète"
        step = f"{r['step_ms']:.1f}" if r["step_ms"] is not None else "-"
        fixed = f"{r['fixed_s']:.2f}" if r["fixed_s"] is not None else "-"
        print(f"{r['variant']:<15}{r['batch']:>3}{r['condition_scale']:>4g}{r['s_per_image']:>10.4f}{r['s_per_call']:>10.3f}{step:>9}"
              f"{fixed:>8}{r['compile_s']:>10.1f}{r['xla_temp_mb']:>12.1f}{r['cache_formula_mb']:>10.1f}  {how}")


if __name__ == "__main__":
    main()
