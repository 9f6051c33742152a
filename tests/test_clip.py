"""Le CLIP miniature livré, dans un processus neuf, hors ligne, lancé d'ailleurs que le dépôt."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dalle_mini_nb.hub import miniature_path

SCRIPT = """
import json, numpy as np
from dalle_mini_nb import formes
from dalle_mini_nb.clip import CLIP, load_tokenizer, rank
clip, tok = CLIP.from_pretrained("miniature"), load_tokenizer("miniature")
imgs, caps, descs = formes.generate(16, seed=5, split="validation")
hits = [int(formes.check(imgs[rank(clip, tok, c, imgs).order[0]], d)) for c, d in zip(caps, descs)]
print(json.dumps({"params": clip.num_params, "vocab": tok.vocab_size, "hits": sum(hits), "n": len(hits)}))
"""


@pytest.mark.skipif(not (miniature_path("clip") / "flax_model.msgpack").exists(), reason="poids miniatures non livrés")
def test_shipped_miniature_clip_loads_offline_and_ranks(tmp_path):
    "Poids + tokenizer livrés lus sans réseau ; pour chaque légende, l'image classée en tête (parmi 16) la respecte le plus souvent."
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "cache-vide")}
    r = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["params"] > 10_000 and out["vocab"] > 256
    assert out["hits"] >= 12, out  # au hasard : une image sur 16 (parfois plus) respecte la légende


def test_shipped_weights_stay_small():
    "Les poids miniatures de CLIP (config + msgpack + tokenizer) restent petits (quelques Mo)."
    folder = miniature_path("clip")
    if not folder.exists(): pytest.skip("poids miniatures non livrés")
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 4_000_000, f"{total} octets"
    assert {p.name for p in folder.iterdir()} >= {"config.json", "flax_model.msgpack", "tokenizer.json"}
