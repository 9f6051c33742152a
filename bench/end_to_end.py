"""De bout en bout aux formes réelles : 8 candidats générés, décodés, classés ; la nôtre contre la chaîne d'origine.

    python bench/end_to_end.py                          # 3 tours alternés (≈ 20 min sur 2 cœurs chargés)
    python bench/end_to_end.py --repeat 5 --out bench/results/end_to_end.json

Les deux chaînes, poids aléatoires aux formes réelles, un prompt de 128 jetons (8 utiles), 8 candidats,
top-k 50, sans super-conditionnement (la référence n'en a pas) :
- la nôtre (venv du projet) : `generate` (DalleBart v0) → `VQGAN.decode_code` (f16_16384, décodeur
  seul) → CLIP ViT-B/32 (`embed_texts`, `embed_images`, `scores`, comme `DalleMini.clip_scores`) ;
- la chaîne d'origine (venv de référence) : `FlaxBartForConditionalGeneration.generate` de
  transformers 4.57 (prompt répété 8 fois) → le même décodeur VQGAN (celui de vqgan-jax, dont
  `dalle_mini_nb.vqgan` reproduit l'arbre et les calculs ; vqgan-jax n'est pas sur PyPI) →
  `FlaxCLIPModel` de transformers (images 256² redimensionnées en 224², normalisées, comme
  `CLIPProcessor`).
Chaque tour : une exécution de chaque chaîne, ordre alterné ; temps par étape. Imprime une ligne
JSON puis un tableau lisible.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import BASELINE_PY, MAIN_PY, Worker, load_avg, machine, median, random_like, serve, tree_bytes  # noqa: E402

PROMPT = "un cercle rouge à gauche d'un carré bleu"


def _vqgan():
    "Décodeur VQGAN f16_16384, poids aléatoires tirés feuille par feuille."
    from dalle_mini_nb.vqgan import VQGAN, VQGANConfig
    c = VQGANConfig.f16_16384()
    return VQGAN(c, random_like(VQGAN.abstract_params(c, decoder_only=True), 1))


def _timed(stages: dict, name: str, f):
    t = time.perf_counter(); out = f(); stages[name] = time.perf_counter() - t; return out


def ours(n: int):
    "La nôtre : `(run, info)`."
    import jax
    from dalle_mini_nb.clip import CLIP, embed_images, embed_texts, load_tokenizer, scores, vit_b32
    from dalle_mini_nb.generate import generate
    from dalle_mini_nb.model import DalleBart, DalleBartConfig
    cfg = DalleBartConfig.v0()
    bart = DalleBart(cfg, random_like(DalleBart.abstract_params(cfg)))
    vq, clip, tok = _vqgan(), CLIP(vit_b32(), random_like(CLIP.abstract_params(vit_b32()), 2)), load_tokenizer("miniature")
    ids = np.full((1, 128), cfg.pad_token_id, np.int32); ids[0, :8] = [0, 10, 20, 30, 40, 50, 60, 2]
    mask = (np.arange(128) < 8).astype(np.int32)[None]
    state = {"seed": 0}
    def run():
        st = {}; state["seed"] += 1
        codes = _timed(st, "codes", lambda: np.asarray(generate(bart, ids, mask, key=state["seed"], top_k=50, n_candidates=n)))
        images = _timed(st, "images", lambda: np.clip(np.asarray(vq.decode_code(codes)), 0.0, 1.0))
        sc = _timed(st, "clip", lambda: scores(clip, embed_texts(clip, tok, [PROMPT]), embed_images(clip, images, batch_size=n))[0])
        assert sc.shape == (n,)
        return {"stages_s": st}
    run()  # compilation + chauffe
    return run, {"impl": "dalle_mini_nb", "param_bytes": tree_bytes(bart.params) + tree_bytes(vq.params) + tree_bytes(clip.params)}


def baseline(n: int):
    "La chaîne d'origine : `(run, info)`."
    import jax
    import jax.numpy as jnp
    from transformers import CLIPConfig, FlaxCLIPModel
    from baseline_bart import make_generate
    gen, info = make_generate(n)
    vq = _vqgan()
    clip = FlaxCLIPModel(CLIPConfig(), _do_init=False)  # ViT-B/32 (valeurs par défaut de CLIPConfig)
    cp = random_like(jax.eval_shape(lambda k: clip.init_weights(k, ((1, 77), (1, 224, 224, 3))), jax.random.PRNGKey(0)), 2)
    mean, std = jnp.array([0.48145466, 0.4578275, 0.40821073]), jnp.array([0.26862954, 0.26130258, 0.27577711])
    @jax.jit
    def rank(p, images, ids):
        x = (jax.image.resize(images, (images.shape[0], 224, 224, 3), "bicubic") - mean) / std  # (n, 256, 256, 3) -> (n, 224, 224, 3)
        return clip(input_ids=ids, pixel_values=x.transpose(0, 3, 1, 2), params=p).logits_per_text[0]  # NHWC -> NCHW
    ids = np.zeros((1, 77), np.int32); ids[0, :6] = [49406, 320, 1746, 3140, 530, 49407]
    def run():
        st = {}
        codes = _timed(st, "codes", lambda: np.asarray(gen())[:, 1:])
        images = _timed(st, "images", lambda: np.clip(np.asarray(vq.decode_code(codes)), 0.0, 1.0))
        sc = _timed(st, "clip", lambda: np.asarray(rank(cp, images, ids)))
        assert sc.shape == (n,)
        return {"stages_s": st}
    run()  # compilation + chauffe
    return run, {**info, "param_bytes": info["param_bytes"] + tree_bytes(vq.params) + tree_bytes(cp)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidates", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worker", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.worker:
        serve(lambda: (ours if a.worker == "ours" else baseline)(a.candidates)); return
    t0 = time.time()
    print("préparation des deux chaînes (compilation + chauffe)…", file=sys.stderr, flush=True)
    w = {"ours": Worker(MAIN_PY, "end_to_end.py", ["--worker", "ours", "--candidates", a.candidates]),
         "baseline": Worker(BASELINE_PY, "end_to_end.py", ["--worker", "baseline", "--candidates", a.candidates])}
    runs = {k: [] for k in w}
    for r in range(a.repeat):
        for k in (["ours", "baseline"] if r % 2 == 0 else ["baseline", "ours"]):
            runs[k].append(w[k].run())
            print(f"    tour {r + 1} {k} : {runs[k][-1]['s']:.1f} s {runs[k][-1]['stages_s']}", file=sys.stderr, flush=True)
    res = {"bench": "end_to_end", "machine": machine(), "candidates": a.candidates, "repeat": a.repeat, "wall_s": round(time.time() - t0)}
    for k in w:
        res[k] = {"ready": w[k].ready, "median_s": median([x["s"] for x in runs[k]]), "runs_s": [round(x["s"], 2) for x in runs[k]],
                  "stages_median_s": {s: median([x["stages_s"][s] for x in runs[k]]) for s in runs[k][0]["stages_s"]},
                  "load_avg": [x["load_avg_1min"] for x in runs[k]], **w[k].quit()}
    res["ratio"] = res["ours"]["median_s"] / res["baseline"]["median_s"]
    res["stage_ratios"] = {s: res["ours"]["stages_median_s"][s] / res["baseline"]["stages_median_s"][s] for s in res["ours"]["stages_median_s"]}
    res["load_avg_1min_end"] = load_avg()
    print(json.dumps(res))
    if a.out:
        with open(a.out, "w") as f: json.dump(res, f, indent=1)
    m = res["machine"]
    print(f"\nde bout en bout, {a.candidates} candidats (génération v0 + décodage VQGAN f16 + CLIP ViT-B/32), {m['cpu']} ({m['cores']} cœurs), {m['date']}")
    print(f"{'chaîne':<10}{'total s':>9}{'codes s':>9}{'images s':>10}{'CLIP s':>8}{'pic RSS Mo':>12}")
    for k in w:
        s = res[k]["stages_median_s"]
        print(f"{k:<10}{res[k]['median_s']:>9.1f}{s['codes']:>9.1f}{s['images']:>10.1f}{s['clip']:>8.2f}{res[k]['peak_rss_mb']:>12.0f}")
    print(f"rapport nôtre / origine : {res['ratio']:.2f} (codes {res['stage_ratios']['codes']:.2f}, images {res['stage_ratios']['images']:.2f}, "
          f"CLIP {res['stage_ratios']['clip']:.2f})")


if __name__ == "__main__":
    main()
