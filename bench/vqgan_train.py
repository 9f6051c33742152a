"""Entraînement du VQGAN miniature (notebook 02) : durée, débit, vérificateur sur `heldout`.

    python bench/vqgan_train.py                          # la démonstration du notebook (QUICK_TRAIN)
    python bench/vqgan_train.py --full --out DOSSIER     # la recette des poids livrés (6 000 lots de 8)
    python bench/vqgan_train.py --steps 200 --shipped    # + les poids livrés, jugés sur les mêmes images

Une ligne JSON par entraînement, puis un tableau lisible. Le temps CPU (utilisateur + système)
est donné à côté du temps réel : sur une machine partagée, le second gonfle, pas le premier.
Aucune assertion : on affiche des chiffres.
"""
import argparse
import json
import os
import platform
import resource
import time



def cpu_seconds() -> float:
    "Temps CPU (utilisateur + système) de ce processus."
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    from dalle_mini_nb import formes
    from dalle_mini_nb.hub import miniature_path
    from dalle_mini_nb.vqgan import VQGAN
    from dalle_mini_nb.vqgan_train import QUICK_TRAIN, VQTrainConfig, evaluate, train_miniature

    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="la recette des poids livrés au lieu de la démonstration")
    ap.add_argument("--steps", type=int, nargs="+", help="raccourcir ou allonger la recette (plusieurs valeurs : plusieurs entraînements)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-eval", type=int, default=1000)
    ap.add_argument("--out", help="dossier où sauver le dernier modèle (save_pretrained)")
    ap.add_argument("--shipped", action="store_true", help="juger aussi les poids livrés")
    a = ap.parse_args()
    recipe = VQTrainConfig() if a.full else QUICK_TRAIN
    rows = []
    if a.shipped:
        imgs, _, descs = formes.generate(a.n_eval, a.seed, "heldout")
        r = evaluate(VQGAN.from_pretrained(miniature_path("vqgan")), imgs, descs)
        rows.append({"run": "livrés", "steps": json.loads((miniature_path("vqgan") / "evaluation.json").read_text())["steps"],
                     "wall_s": None, "cpu_s": None, "images_per_s": None,
                     **{k: r[k] for k in ("checker", "mse", "perplexity", "used")}})
        print(json.dumps(rows[-1]), flush=True)
    all_steps = a.steps or [recipe.steps]
    for steps in all_steps:
        t, c = time.perf_counter(), cpu_seconds()
        s = train_miniature(seed=a.seed, out=a.out if steps == all_steps[-1] else None, steps=steps, n_eval=a.n_eval,
                            progress=False, recipe=recipe)
        wall, cpu = time.perf_counter() - t, cpu_seconds() - c
        rows.append({"run": f"lots de {recipe.batch_size}", "steps": steps, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                     "train_s": s["train_seconds"], "images_per_s": round(steps * recipe.batch_size / s["train_seconds"], 1),
                     **{k: s["heldout"][k] for k in ("checker", "mse", "perplexity", "used")}})
        print(json.dumps(rows[-1]), flush=True)
    print(f"\nVQGAN miniature, {platform.processor() or platform.machine()}, {os.cpu_count()} cœurs, graine {a.seed}, "
          f"{a.n_eval} images heldout")
    print(f"{'':>14} {'pas':>6} {'réel s':>8} {'CPU s':>8} {'img/s':>7} {'vérif.':>7} {'EQM':>8} {'perpl.':>7} {'codes':>6}")
    f = lambda v, spec: "—" if v is None else format(v, spec)
    for r in rows:
        print(f"{r['run']:>14} {r['steps']:>6} {f(r['wall_s'], '8.1f')} {f(r['cpu_s'], '8.1f')} {f(r['images_per_s'], '7.1f')} "
              f"{r['checker']:>7.3f} {r['mse']:>8.5f} {r['perplexity']:>7.1f} {r['used']:>6}")


if __name__ == "__main__":
    main()
