"""Génération aux formes v0 : la nôtre contre la référence (transformers Flax BART), dans le même run.

    python bench/generate.py                                    # lots 1 et 8, fp32 et bf16, 3 tours
    python bench/generate.py --batches 8 --variants fp32 --repeat 5
    python bench/generate.py --steps 8,72                       # la nôtre extrapolée (voir plus bas)
    python bench/generate.py --no-baseline                      # la nôtre seule
    python bench/generate.py --out bench/results/generate.json  # garde les chiffres (lus par 07_generation)

Chaque configuration (variante × lot) lance deux sous-processus : la nôtre (venv du projet,
`bench/ours_bart.py`) et la référence (venv de référence, `bench/baseline_bart.py`, voir
`bench/README.md`). Chacun compile et fait une exécution de chauffe, puis l'orchestrateur alterne leurs
exécutions (`--repeat` tours, ordre inversé à chaque tour) : même charge pour les deux. On rapporte les
médianes, leur rapport (nôtre / référence), le pic de mémoire résidente de chaque processus, et, face
aux plafonds de la machine mesurés au début et à la fin du run (`_harness.probes`) :
- lot 1 : débit de poids atteint, `256 × octets lus par pas / (s/image)`, contre le flux mesuré ;
- lot 8 : GFLOP/s atteints, `FLOP nécessaires par image / (s/image)`, contre le produit matriciel mesuré.

`--steps N1,N2` : la nôtre est chronométrée à N1 et N2 pas (même fonction compilée) et extrapolée à 256
(`fixe + 256 · (t2 − t1)/(N2 − N1)`) ; une exécution complète par configuration valide l'extrapolation.
Les tours de la référence sont toujours complets. Imprime une ligne JSON puis un tableau lisible.
Lancez-le avec `nice` sur une machine partagée ; la charge (1 min) est notée à chaque mesure.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _gen_model import flops_per_image, work  # noqa: E402
from _harness import BASELINE_PY, MAIN_PY, Worker, load_avg, machine, median  # noqa: E402

BASE_DTYPE = {"fp32": "float32", "bf16": "bfloat16", "bf16w": "bfloat16"}


def log(*a): print(*a, file=sys.stderr, flush=True)


def measure(variant: str, batch: int, repeat: int, steps, baseline: bool) -> dict:
    "Une configuration : les deux travailleurs, `repeat` tours alternés, médianes et mémoire."
    log(f"== {variant} B={batch} : préparation (compilation + chauffe)")
    ours = Worker(MAIN_PY, "ours_bart.py", ["--batch", batch, "--variant", variant])
    base = Worker(BASELINE_PY, "baseline_bart.py", ["--batch", batch, "--dtype", BASE_DTYPE[variant]]) if baseline else None
    S = 256
    runs = {"ours": [], "baseline": []}
    for r in range(repeat):
        order = ["ours", "baseline"] if r % 2 == 0 else ["baseline", "ours"]
        for who in order:
            if who == "baseline" and not base: continue
            if who == "baseline": runs["baseline"].append(base.run())
            elif steps:
                a, b = ours.run(steps=steps[0]), ours.run(steps=steps[1])
                step = (b["s"] - a["s"]) / (steps[1] - steps[0]); fixed = max(a["s"] - steps[0] * step, 0.0)
                runs["ours"].append({"s": fixed + S * step, "step_s": step, "fixed_s": fixed, "extrapolated": True,
                                     "load_avg_1min": a["load_avg_1min"]})
            else:
                runs["ours"].append(ours.run())
            log(f"    tour {r + 1} {who} : {runs[who][-1]['s']:.2f} s (charge {runs[who][-1]['load_avg_1min']})")
    full = ours.run() if steps else None  # validation de l'extrapolation
    row = {"variant": variant, "batch": batch, "repeat": repeat, "ours_ready": ours.ready,
           "ours_s_per_call": median([x["s"] for x in runs["ours"]]), "ours_runs_s": [round(x["s"], 3) for x in runs["ours"]],
           "ours_extrapolated": bool(steps), "ours_full_run_s": None if full is None else round(full["s"], 3),
           "load_avg": [x["load_avg_1min"] for x in runs["ours"] + runs["baseline"]]}
    row["ours_s_per_image"] = row["ours_s_per_call"] / batch
    row["ours_runs_cpu_s"] = [round(x["cpu_s"], 2) for x in runs["ours"] if "cpu_s" in x]  # temps CPU : moins sensible à la charge
    row |= {f"ours_{k}": v for k, v in ours.quit().items()}
    if base:
        row |= {"baseline_ready": base.ready, "baseline_s_per_call": median([x["s"] for x in runs["baseline"]]),
                "baseline_runs_s": [round(x["s"], 3) for x in runs["baseline"]]}
        row["baseline_s_per_image"] = row["baseline_s_per_call"] / batch
        row["ratio"] = row["ours_s_per_image"] / row["baseline_s_per_image"]
        row["ratio_per_round"] = [o["s"] / b["s"] for o, b in zip(runs["ours"], runs["baseline"])]
        row["baseline_runs_cpu_s"] = [round(x["cpu_s"], 2) for x in runs["baseline"] if "cpu_s" in x]
        if row["ours_runs_cpu_s"] and row["baseline_runs_cpu_s"]: row["ratio_cpu"] = median(row["ours_runs_cpu_s"]) / median(row["baseline_runs_cpu_s"])
        row |= {f"baseline_{k}": v for k, v in base.quit().items()}
    return row


def ceilings() -> dict:
    "Plafonds mesurés dans un processus à part (le tableau de 800 Mo ne reste pas en mémoire)."
    w = Worker(MAIN_PY, "_probe.py", []); w.p.wait(); return w.ready


def derive(rows: list, ceil: dict) -> None:
    "Débits atteints et limites théoriques, face aux plafonds mesurés."
    for r in rows:
        w = work(itemsize=4 if r["variant"] == "fp32" else 2)
        bw_bytes, fl = w["image_length"] * w["bytes_per_step"], flops_per_image(w, r["batch"])
        r["bytes_per_image"], r["flops_per_image"] = bw_bytes, fl
        r["limit_bandwidth_s_per_image"] = bw_bytes / r["batch"] / (ceil["stream_gbps"] * 1e9)  # poids lus une fois par pas pour tout le lot
        r["limit_compute_s_per_image"] = fl / (ceil["matmul_gflops"] * 1e9)
        for who in ("ours", "baseline"):
            s = r.get(f"{who}_s_per_image")
            if s is None: continue
            r[f"{who}_gbps"] = bw_bytes / r["batch"] / s / 1e9
            r[f"{who}_gflops"] = fl / s / 1e9
            r[f"{who}_of_bandwidth_limit"] = r["limit_bandwidth_s_per_image"] / s
            r[f"{who}_of_compute_limit"] = r["limit_compute_s_per_image"] / s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--variants", default="fp32,bf16")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--steps", default=None, help="N1,N2 : extrapoler la nôtre (la référence reste complète)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--out", default=None, help="fichier JSON où écrire le résultat")
    a = ap.parse_args()
    steps = tuple(int(x) for x in a.steps.split(",")) if a.steps else None
    t0 = time.time()
    log("plafonds (début)…")
    p0 = ceilings()
    rows = [measure(v, int(b), a.repeat, steps, not a.no_baseline) for v in a.variants.split(",") for b in a.batches.split(",")]
    log("plafonds (fin)…")
    p1 = ceilings()
    ceil = {k: median([p[k] for p in (p0, p1) if k in p]) for k in ("stream_gbps", "matvec_gbps", "matmul_gflops", "matmul8_gflops") if k in p0 or k in p1}
    derive(rows, ceil)
    res = {"bench": "generate", "machine": machine(), "load_avg_1min_end": load_avg(), "wall_s": round(time.time() - t0),
           "ceilings": ceil, "probes": [p0, p1], "work": work(), "rows": rows}
    print(json.dumps(res))
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f: json.dump(res, f, indent=1)
    m = res["machine"]
    print(f"\ngeneration v0 (256 codes, top-k 50), {m['cpu']} ({m['cores']} cœurs), {m['date']} ; plafonds : "
          f"flux {ceil['stream_gbps']:.1f} GB/s, matvec XLA {ceil['matvec_gbps']:.1f} GB/s, matmul {ceil['matmul_gflops']:.0f} GFLOP/s")
    print(f"{'var.':<6}{'B':>3}{'nôtre s/im':>11}{'réf. s/im':>10}{'rapport':>8}{'GB/s':>7}{'% flux':>7}{'GFLOP/s':>8}{'% matmul':>9}"
          f"{'RSS nôtre Mo':>13}{'RSS réf. Mo':>12}{'charge':>12}")
    for r in rows:
        ref = r.get("baseline_s_per_image")
        print(f"{r['variant']:<6}{r['batch']:>3}{r['ours_s_per_image']:>11.3f}{(ref or float('nan')):>10.3f}{r.get('ratio', float('nan')):>8.2f}"
              f"{r['ours_gbps']:>7.1f}{100 * r['ours_of_bandwidth_limit']:>6.0f}%{r['ours_gflops']:>8.1f}{100 * r['ours_of_compute_limit']:>8.0f}%"
              f"{r['ours_peak_rss_mb']:>13.0f}{r.get('baseline_peak_rss_mb', float('nan')):>12.0f}"
              f"{min(r['load_avg']):>6.1f}–{max(r['load_avg']):<5.1f}")


if __name__ == "__main__":
    main()
