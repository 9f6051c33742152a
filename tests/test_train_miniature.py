"""`train_miniature` : toute la piste miniature depuis une graine. Étapes manquantes : erreur claire avant tout
travail. Étapes présentes : un tout petit parcours (VQGAN aléatoire, quelques pas de BART et de CLIP) refait deux fois
avec la même graine donne exactement les mêmes poids, et la commande `dalle-mini-nb-train miniature` l'accepte."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
HAS_ENCODING = importlib.util.find_spec("dalle_mini_nb.encoding") is not None


def tiny_kwargs(vq):
    from dalle_mini_nb.train import TrainConfig
    return dict(vqgan=vq, progress=False, n_train=256, n_validation=64, n_heldout=16,
                bart_cfg=TrainConfig(steps=6, batch_size=32, warmup_steps=2, log_every=3, eval_every=0, checkpoint_every=3),
                bart_model=dict(d_model=32, layers=1, heads=2, ffn_dim=64),
                clip_recipe=dict(n_train=256, steps=2, batch_size=32, warmup=1))


@pytest.fixture(scope="module")
def random_vqgan(tmp_path_factory):
    import jax
    from dalle_mini_nb.vqgan import VQGAN, VQGANConfig
    folder = tmp_path_factory.mktemp("vq") / "vqgan"
    VQGAN.create(VQGANConfig.miniature(), jax.random.PRNGKey(0)).save_pretrained(folder)
    return folder


def test_missing_stage_fails_before_any_work(tmp_path, monkeypatch):
    "Une étape absente (ici le module du VQGAN, rendu introuvable) : erreur claire avant tout calcul, en Python et en ligne de commande."
    from dalle_mini_nb.train import train_miniature
    monkeypatch.setitem(sys.modules, "dalle_mini_nb.vqgan_train", None)  # `import` lève ImportError
    with pytest.raises(NotImplementedError, match="étape indisponible : dalle_mini_nb.vqgan_train.train_miniature"):
        train_miniature(0, tmp_path / "m")
    assert not (tmp_path / "m").exists()  # rien commencé
    code = ("import sys; sys.modules['dalle_mini_nb.vqgan_train'] = None; from dalle_mini_nb.train import main; "
            f"sys.exit(main(['miniature', '--out', {str(tmp_path / 'c')!r}, '--no-progress']))")
    r = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "étape indisponible" in r.stderr, r.stderr[-2000:]
    assert not (tmp_path / "c").exists()


@pytest.mark.skipif(not HAS_ENCODING, reason="dalle_mini_nb.encoding (notebook 03) pas encore là")
def test_same_seed_same_weights(tmp_path, random_vqgan):
    from dalle_mini_nb.train import train_miniature
    a = train_miniature(0, tmp_path / "a", **tiny_kwargs(random_vqgan))
    b = train_miniature(0, tmp_path / "b", **tiny_kwargs(random_vqgan))
    for model in ("bart", "clip"):
        assert (tmp_path / "a" / model / "flax_model.msgpack").read_bytes() == (tmp_path / "b" / model / "flax_model.msgpack").read_bytes()
    assert a["bart_eval_loss"] == b["bart_eval_loss"] and a["unigram_baseline"] == b["unigram_baseline"]
    assert json.loads((tmp_path / "a" / "miniature.json").read_text())["seed"] == 0
    for f in ("config.json", "flax_model.msgpack", "tokenizer.json", "training.json"): assert (tmp_path / "a" / "bart" / f).is_file()
    from dalle_mini_nb.model import DalleBart
    from dalle_mini_nb.text import TextTokenizer
    bart, tok = DalleBart.from_pretrained(tmp_path / "a" / "bart"), TextTokenizer.from_pretrained(tmp_path / "a" / "bart")
    assert bart.config.image_vocab_size == 512 and tok.vocab_size == bart.config.vocab_size
