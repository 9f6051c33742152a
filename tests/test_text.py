"""Le chemin « hub » du texte et du modèle dans un vrai processus : HF_HUB_OFFLINE et HF_HUB_CACHE lus dans l'environnement.

Hors ligne, un cache au format du hub tient lieu de `flax-community/dalle-mini` : le tokenizer BART
(vocab.json + merges.txt, chargé par `transformers.AutoTokenizer`) et la fixture v0 écrite par le code
d'origine. Le processus fils ne reçoit que le nom du dépôt, comme un utilisateur.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dalle_mini_nb.hub import fake_hub_cache, reference_dir
from dalle_mini_nb.text import train_bpe

ROOT = Path(__file__).resolve().parents[1]
REPO = "flax-community/dalle-mini"


SCRIPT = """
import sys, json
import numpy as np
from dalle_mini_nb.text import TextTokenizer
from dalle_mini_nb.model import DalleBart, greedy_decode
try:
    tok = TextTokenizer.from_pretrained(sys.argv[1])
    out = {"ids": tok(["un cercle rouge à gauche d'un carré bleu"], max_length=32)["input_ids"].tolist()}
    if len(sys.argv) > 2:
        io = np.load(sys.argv[2])
        bart = DalleBart.from_pretrained(sys.argv[1])
        out["logits_err"] = float(np.abs(bart(io["input_ids"], io["attention_mask"], io["decoder_input_ids"]) - io["logits"]).max())
        out["greedy_equal"] = bool((np.asarray(greedy_decode(bart, io["input_ids"], io["attention_mask"])) == io["greedy_sequences"]).all())
    print(json.dumps(out))
except Exception as e:
    print(type(e).__name__, e)
"""


def _run(args, cache, offline="1"):
    env = {**os.environ, "HF_HUB_OFFLINE": offline, "HF_HUB_CACHE": str(cache), "TRANSFORMERS_VERBOSITY": "error",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", SCRIPT, *args], env=env, capture_output=True, text=True, timeout=300)
    return r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-2000:]


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory):
    "Un cache du hub où `flax-community/dalle-mini` a un tokenizer BART (de notre BPE) et la fixture v0."
    root = tmp_path_factory.mktemp("hub")
    tok = train_bpe(["un cercle rouge à gauche d'un carré bleu", "un petit triangle vert en haut à droite"] * 10, 300)
    bart_dir = root / "bart"; bart_dir.mkdir()
    tok.tokenizer.model.save(str(bart_dir))  # vocab.json + merges.txt
    files = {f.name: f.read_bytes() for f in bart_dir.iterdir()}
    ref = reference_dir() / "dallebart_v0"
    files.update({f: (ref / f).read_bytes() for f in ("config.json", "flax_model.msgpack")})  # config.json : model_type bart
    assert json.loads(files["config.json"])["model_type"] == "bart"
    fake_hub_cache(root / "cache", REPO, files)
    return root / "cache", tok


def test_offline_hub_name_loads_tokenizer_and_model(hub_cache):
    cache, tok = hub_cache
    out = json.loads(_run([REPO, str(reference_dir() / "dallebart_v0" / "io.npz")], cache))
    assert out["ids"] == tok(["un cercle rouge à gauche d'un carré bleu"], max_length=32)["input_ids"].tolist()
    assert out["ids"][0][0] == 0 and 2 in out["ids"][0] and out["ids"][0][-1] == 1
    assert out["logits_err"] < 1e-5
    assert out["greedy_equal"]


def test_offline_missing_repo_is_a_clear_error(hub_cache):
    cache, _ = hub_cache
    out = _run(["flax-community/absent"], cache)
    assert out.startswith("ModelNotFoundError") and "« flax-community/absent »" in out and "HF_HUB_OFFLINE" in out
