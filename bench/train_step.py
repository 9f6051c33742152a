"""Débit du pas d'entraînement de DalleBart (`dalle_mini_nb.train`) : 1 appareil contre 8 appareils CPU virtuels.

    python bench/train_step.py                          # miniature, 1 puis 8 appareils CPU virtuels
    python bench/train_step.py --devices 1 2 4 8 --batch 64
    python bench/train_step.py --devices 0 --dtype bfloat16 --batch 256   # 0 : les appareils réels (GPU/TPU)
    python bench/train_step.py --devices 1 --no-tune-malloc              # sans le réglage de glibc : fautes de page

Chaque nombre d'appareils tourne dans son propre processus (`XLA_FLAGS=--xla_force_host_platform_device_count=N`
doit être fixé avant d'importer jax). On mesure le vrai chemin de l'entraînement : `compile_train_step`
(jit + NamedSharding), lot réparti par `shard_batch`, état répliqué. Données aléatoires : le temps ne dépend pas
des valeurs. Sur un processeur à 2 cœurs, 8 appareils virtuels se partagent les mêmes 2 cœurs : le chiffre montre
le coût du découpage, pas un gain. Par défaut, le modèle et le lot sont ceux de la recette miniature
(`MINIATURE_BART`, `MINIATURE_TRAIN`) et l'allocateur est réglé (`tune_cpu_allocator`) comme dans l'entraînement ;
`--no-tune-malloc` montre le coût des fautes de page sans ce réglage. On note le temps écoulé et le temps processeur
(tous les fils) par pas : sur une machine partagée, seul le second est fiable. Imprime une ligne JSON par
configuration puis un tableau lisible.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def faults() -> int:
    "Fautes de page mineures du processus jusqu'ici."
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def worker(a) -> dict:
    "Mesure dans ce processus (jax importé ici, après XLA_FLAGS)."
    import jax
    import numpy as np
    from dalle_mini_nb.model import DalleBartConfig
    from dalle_mini_nb.train import (TrainConfig, compile_train_step, data_mesh, init_state, make_optimizer, replicate, shard_batch,
                                     tune_cpu_allocator)

    tuned = tune_cpu_allocator() if a.tune_malloc else False  # avant le premier calcul JAX
    config = DalleBartConfig.miniature(vocab_size=512, image_vocab_size=512, text_length=a.text_length, d_model=a.d_model,
                                       layers=a.layers, heads=a.heads, ffn_dim=a.ffn_dim, dropout=a.dropout)
    cfg = TrainConfig(batch_size=a.batch, dtype=a.dtype, warmup_steps=10)
    mesh = data_mesh()
    tx, _ = make_optimizer(cfg)
    state = replicate(init_state(config, tx, 0), mesh)
    step = compile_train_step(config, cfg, mesh)
    rng = np.random.default_rng(0)
    S, L, B = config.image_length, a.text_length, a.batch
    batch = shard_batch({"input_ids": rng.integers(5, 512, (B, L)), "attention_mask": np.ones((B, L), np.int32),
                         "decoder_input_ids": rng.integers(0, 513, (B, S)), "labels": rng.integers(0, 512, (B, S))}, mesh)
    t = time.perf_counter(); state, m = step(state, batch); jax.block_until_ready(m); compile_s = time.perf_counter() - t
    for _ in range(2): state, m = step(state, batch)
    jax.block_until_ready(m)
    t, c, f = time.perf_counter(), time.process_time(), faults()
    for _ in range(a.steps): state, m = step(state, batch)
    jax.block_until_ready(m)
    dt, cpu, nf = time.perf_counter() - t, time.process_time() - c, faults() - f
    return {"devices": mesh.size, "device": jax.devices()[0].device_kind, "backend": jax.default_backend(), "batch": B,
            "text_length": L, "image_length": S, "d_model": a.d_model, "layers": a.layers, "ffn_dim": a.ffn_dim,
            "dropout": a.dropout, "dtype": a.dtype, "malloc_tuned": tuned, "page_faults_per_step": nf / a.steps,
            "cpu_ms_per_step": 1e3 * cpu / a.steps,
            "compile_s": compile_s, "step_ms": 1e3 * dt / a.steps, "examples_per_s": B * a.steps / dt,
            "image_tokens_per_s": B * S * a.steps / dt, "tokens_per_s": B * (L + S) * a.steps / dt,
            "cpu_per_wall": cpu / dt, "loss": float(m["loss"])}


def main():
    from dalle_mini_nb.train import MINIATURE_BART as M, MINIATURE_TRAIN  # défauts : la recette miniature
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, nargs="+", default=[1, 8], help="appareils CPU virtuels (0 : les appareils réels)")
    ap.add_argument("--batch", type=int, default=MINIATURE_TRAIN.batch_size)
    ap.add_argument("--steps", type=int, default=20, help="pas chronométrés (après compilation et 2 pas de chauffe)")
    ap.add_argument("--d-model", type=int, default=M["d_model"])
    ap.add_argument("--layers", type=int, default=M["layers"])
    ap.add_argument("--heads", type=int, default=M["heads"])
    ap.add_argument("--ffn-dim", type=int, default=M["ffn_dim"])
    ap.add_argument("--dropout", type=float, default=M["dropout"])
    ap.add_argument("--text-length", type=int, default=M["text_length"])
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--no-tune-malloc", dest="tune_malloc", action="store_false", help="sans tune_cpu_allocator (glibc)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker: print(json.dumps(worker(a))); return
    results = []
    for n in a.devices:
        env = dict(os.environ)
        if n: env |= {"JAX_PLATFORMS": "cpu", "XLA_FLAGS": f"--xla_force_host_platform_device_count={n}"}
        args = [a for a in sys.argv[1:] if a != "--worker"]
        r = subprocess.run([sys.executable, __file__, *args, "--worker"], env=env, capture_output=True, text=True)
        if r.returncode: sys.exit(f"échec avec {n} appareil(s) :\n{r.stderr[-3000:]}")
        results.append(json.loads(r.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    base = results[0]["tokens_per_s"]
    print(f"\nPas d'entraînement DalleBart miniature (D = {a.d_model}, {a.layers} couches, FFN {a.ffn_dim}, B = {a.batch}, "
          f"L = {a.text_length}, S = 64, {a.dtype}, dropout {a.dropout}, malloc réglé : {a.tune_malloc}) — {os.cpu_count()} cœurs visibles")
    print(f"{'appareils':>10} {'type':>10} {'compil. s':>10} {'pas ms':>8} {'CPU ms':>8} {'ex/s':>8} {'codes/s':>9} {'jetons/s':>9} "
          f"{'CPU/mur':>8} {'fautes/pas':>11} {'× 1er':>6}")
    for r in results:
        print(f"{r['devices']:>10} {r['backend']:>10} {r['compile_s']:>10.1f} {r['step_ms']:>8.1f} {r['cpu_ms_per_step']:>8.1f} "
              f"{r['examples_per_s']:>8.0f} {r['image_tokens_per_s']:>9.0f} {r['tokens_per_s']:>9.0f} {r['cpu_per_wall']:>8.2f} "
              f"{r['page_faults_per_step']:>11.0f} {r['tokens_per_s'] / base:>6.2f}")


if __name__ == "__main__":
    main()
