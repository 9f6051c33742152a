"""Reprise exacte : un entraînement tué par SIGKILL au milieu, puis relancé, finit avec les mêmes paramètres
(au bit près) qu'un entraînement sans interruption. Aussi : reprise refusée si les réglages changent."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
TINY = ["--image-vocab-size", "91", "--d-model", "32", "--layers", "1", "--heads", "2", "--ffn-dim", "64", "--vocab-size", "300", "--decay", "constant",
        "--batch-size", "16", "--learning-rate", "0.01", "--warmup-steps", "20", "--log-every", "10", "--eval-every", "100",
        "--checkpoint-every", "40", "--keep-checkpoints", "2", "--no-progress"]
STEPS = 200


def cli(*args, **kw):
    return [sys.executable, "-m", "dalle_mini_nb.train", *map(str, args)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("donnees")
    subprocess.run(cli("synthetic", d, "--n-train", 320, "--n-validation", 48, "--n-heldout", 0, "--rows-per-shard", 100),
                   env=ENV, check=True, capture_output=True)
    return d


def bart(data, out, steps=STEPS, extra=()):
    return cli("bart", "--data", data, "--out", out, "--steps", steps, *TINY, *extra)


def checkpoints(out: Path) -> list[int]:
    d = out / "checkpoints"
    return sorted(int(p.name) for p in d.iterdir() if p.name.isdigit()) if d.is_dir() else []


def test_sigkill_then_resume_is_bit_identical(data, tmp_path):
    ref = subprocess.run(bart(data, tmp_path / "ref"), env=ENV, capture_output=True, text=True, timeout=600)
    assert ref.returncode == 0, ref.stderr[-2000:]
    # le même entraînement, tué dès qu'un point de reprise existe
    p = subprocess.Popen(bart(data, tmp_path / "run"), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t0 = time.time()
    while not checkpoints(tmp_path / "run") and p.poll() is None and time.time() - t0 < 300: time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()
    killed_at = checkpoints(tmp_path / "run")
    assert p.returncode == -signal.SIGKILL, "le processus a fini avant d'être tué : entraînement trop court pour ce test"
    assert killed_at and max(killed_at) < STEPS and not (tmp_path / "run" / "bart").exists()
    # relance : reprise depuis le dernier point, jusqu'au bout
    again = subprocess.run(bart(data, tmp_path / "run"), env=ENV, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["start"] == max(killed_at) and summary["steps"] == STEPS
    a = (tmp_path / "ref" / "bart" / "flax_model.msgpack").read_bytes()
    b = (tmp_path / "run" / "bart" / "flax_model.msgpack").read_bytes()
    assert a == b, "paramètres finaux différents après reprise"
    rows = lambda d: [(r["step"], r["kind"], r["loss"]) for r in map(json.loads, (d / "metrics.jsonl").read_text().splitlines())]
    assert rows(tmp_path / "ref") == rows(tmp_path / "run")  # journal identique, sans doublon ni trou
    print(f"tué après le point de reprise {max(killed_at)} ; reprise → {STEPS} pas ; msgpack identique ({len(a)} octets)")


def test_resume_with_changed_config_is_refused(data, tmp_path):
    out = tmp_path / "run"
    assert subprocess.run(bart(data, out, steps=20), env=ENV, capture_output=True).returncode == 0
    r = subprocess.run(bart(data, out, steps=40, extra=("--learning-rate", "0.02")), env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and "les réglages ont changé" in r.stderr and "learning_rate : 0.01 → 0.02" in r.stderr, r.stderr
    ok = subprocess.run(bart(data, out, steps=40), env=ENV, capture_output=True, text=True)  # plus de pas, taux constant : permis
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert json.loads(ok.stdout.strip().splitlines()[-1])["start"] == 20


def test_corrupt_shard_error_or_recorded_skip(data, tmp_path):
    import shutil
    d = tmp_path / "donnees"; shutil.copytree(data, d)
    (d / "train" / "part-00009.parquet").write_bytes(b"pas du parquet")
    r = subprocess.run(bart(d, tmp_path / "a", steps=5), env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and "fragment illisible" in r.stderr and "part-00009.parquet" in r.stderr, r.stderr
    r = subprocess.run(bart(d, tmp_path / "b", steps=5, extra=("--skip-corrupt",)), env=ENV, capture_output=True, text=True)
    assert r.returncode == 0 and "fragment sauté" in r.stderr, r.stderr[-2000:]
    report = json.loads((tmp_path / "b" / "data_report.json").read_text())
    assert [s["file"].endswith("part-00009.parquet") for s in report["train"]["skipped_files"]] == [True]  # saut noté
    assert report["train"]["rows"] == 320


def test_codes_outside_vocab_and_odd_captions(tmp_path):
    "Codes hors du vocabulaire : erreur qui nomme le fichier et les lignes. Légendes vides ou trop longues : gardées et comptées."
    import numpy as np
    from dalle_mini_nb.train import write_shards
    rng = np.random.default_rng(0)
    caps = ["un cercle rouge"] * 60 + [""] * 3 + ["un très grand carré bleu en haut à gauche " * 6]
    codes = rng.integers(0, 91, (64, 64))
    write_shards(tmp_path / "ok" / "train", caps, codes, rows_per_shard=32)
    r = subprocess.run(bart(tmp_path / "ok", tmp_path / "run", steps=4, extra=("--blank-caption-prob", "0")), env=ENV, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((tmp_path / "run" / "data_report.json").read_text())["train"]["empty_captions"] == 3
    rows = [json.loads(l) for l in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert sum(r.get("truncated", 0) for r in rows if r["kind"] == "train") >= 1  # la légende trop longue, coupée et comptée
    bad = codes.copy(); bad[40, 5] = 91  # hors de [0, 91)
    write_shards(tmp_path / "bad" / "train", caps, bad, rows_per_shard=32)
    r = subprocess.run(bart(tmp_path / "bad", tmp_path / "run_bad", steps=4), env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and "part-00001.parquet : codes hors du vocabulaire [0, 91) aux lignes [8]" in r.stderr, r.stderr
    assert not (tmp_path / "run_bad" / "checkpoints").exists()  # rien commencé
