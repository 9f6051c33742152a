"""L'encodage (`dalle_mini_nb.encoding`) dans un vrai processus : SIGKILL au milieu du travail, reprise,
et résultat identique, octet pour octet, à une exécution sans interruption."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from dalle_mini_nb import formes
from dalle_mini_nb.encoding import encode_pixels, main
from dalle_mini_nb.hub import miniature_path
from dalle_mini_nb.vqgan import VQGAN, VQGANConfig

ROOT = Path(__file__).resolve().parents[1]
N, SHARD, BATCH = 240, 20, 8  # 12 shards de 20 lignes, lots de 8 (le dernier lot de chaque shard : 4 images)
TIMING = ("outdir", "resumed_rows", "encoded_rows", "seconds", "images_per_s")  # ce qui dépend du dossier et du déroulement


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    "Un VQGAN miniature sauvé (poids livrés, sinon aléatoires) et un dossier de N images formes, dont une abîmée."
    d = tmp_path_factory.mktemp("encodage")
    vq = (VQGAN.from_pretrained(miniature_path("vqgan")) if miniature_path("vqgan").exists()
          else VQGAN.create(VQGANConfig.miniature(), jax.random.PRNGKey(0)))
    vq.save_pretrained(d / "vq")
    imgs, caps, _ = formes.generate(N, seed=7)
    (d / "images").mkdir()
    for i, (x, t) in enumerate(zip(imgs, caps)):
        Image.fromarray(x).save(d / "images" / f"{i:04d}.png")
        if i % 7: (d / "images" / f"{i:04d}.txt").write_text(t, encoding="utf-8")  # une image sur 7 sans légende
    (d / "images" / "0050.png").write_bytes((d / "images" / "0050.png").read_bytes()[:150])  # tronquée
    return d, vq, imgs, caps


@pytest.fixture(scope="module")
def ref(setup):
    "L'encodage de référence, d'une traite, dans `ref/` : son manifeste."
    return run(setup, setup[0] / "ref")


def cli(setup, out):
    d = setup[0]
    return [sys.executable, "-m", "dalle_mini_nb.encoding", str(d / "images"), str(out), "--vqgan", str(d / "vq"),
            "--batch-size", str(BATCH), "--shard-size", str(SHARD), "--no-progress"]


def run(setup, out):
    r = subprocess.run(cli(setup, out), capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def finished(out: Path) -> dict:
    "Les shards finis : nom → (inode, date de modification en ns)."
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(out.glob("part-*.parquet"))}


def kill_after(setup, out: Path, n: int, deadline: float = 240) -> dict:
    "Lance l'encodage, SIGKILL dès que `n` shards de plus sont finis ; rend les shards finis au moment du kill."
    before = len(finished(out))
    proc = subprocess.Popen(cli(setup, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    t0 = time.time()
    while time.time() - t0 < deadline and proc.poll() is None and len(finished(out)) < before + n: time.sleep(0.01)
    assert proc.poll() is None, "l'encodage a fini (ou échoué) avant d'être tué : le test ne tue rien\n" + proc.stderr.read().decode()[-2000:]
    proc.send_signal(signal.SIGKILL); proc.wait(10)
    return finished(out)


def files(out: Path) -> dict:
    "Le contenu de tous les fichiers de résultat (shards, listes d'écartées) ; ni manifeste ni temporaires."
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name.startswith(("part-", "_skipped-"))}


def test_sigkill_and_resume_gives_the_uninterrupted_result(setup, ref):
    d = setup[0]
    out = d / "tue"
    at_kill = [kill_after(setup, out, 2), kill_after(setup, out, 3)]  # deux morts brutales, à deux moments
    assert 2 <= len(at_kill[0]) < len(at_kill[1]) < N // SHARD
    assert not (out / "_manifest.json").exists()
    for name in at_kill[1]: pq.read_table(out / name)  # tout shard présent au moment du kill est complet et lisible
    last = run(setup, out)

    assert files(out) == files(d / "ref")  # mêmes octets qu'une exécution d'une traite
    assert {k: v for k, v in last.items() if k not in TIMING} == {k: v for k, v in ref.items() if k not in TIMING}
    assert last["resumed_rows"] == len(at_kill[1]) * SHARD and last["encoded_rows"] == N - last["resumed_rows"]
    now = finished(out)
    for done in at_kill: assert all(now[k] == v for k, v in done.items())  # un shard fini n'est jamais réécrit
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # pas de reste des morts brutales


def test_result_is_the_dataset(setup, ref):
    "Les shards de référence : toutes les images lisibles, dans l'ordre, avec leurs codes ; l'image abîmée écartée."
    d, vq, imgs, caps = setup
    assert json.loads((d / "ref" / "_manifest.json").read_text()) == ref
    t = pq.read_table(d / "ref")
    keep = [i for i in range(N) if i != 50]
    assert (ref["rows"], ref["written_rows"], ref["skipped_rows"]) == (N, N - 1, 1)
    assert ref["skipped_examples"][0]["key"] == "0050" and "image illisible" in ref["skipped_examples"][0]["reason"]
    assert ref["shards"] == [f"part-{i:05d}.parquet" for i in range(N // SHARD)]
    assert t.column("key").to_pylist() == [f"{i:04d}" for i in keep]
    assert t.column("caption").to_pylist() == [caps[i] if i % 7 else "" for i in keep]
    assert np.array_equal(np.array(t.column("encoding").to_pylist()), encode_pixels(vq, imgs[keep], BATCH))
    assert len(np.unique(np.array(t.column("encoding").to_pylist()))) > 10  # des codes variés : la comparaison a du sens


def test_resume_refuses_other_settings(setup, ref):
    d = setup[0]
    r = subprocess.run(cli(setup, d / "ref")[:-2] + ["7", "--no-progress"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode != 0 and "d'autres réglages (shard_size)" in r.stderr


def test_cli_errors(setup, tmp_path):
    d = setup[0]
    with pytest.raises(FileNotFoundError, match="source introuvable"):
        main([str(tmp_path / "absent"), str(tmp_path / "out"), "--vqgan", str(d / "vq"), "--no-progress"])
    if not miniature_path("vqgan").exists():
        with pytest.raises(FileNotFoundError, match="poids du VQGAN miniature absents"):
            main([str(d / "images"), str(tmp_path / "out"), "--no-progress"])
