"""Parallélisme de données : le même entraînement sur 1 appareil et sur 8 appareils CPU virtuels
(`XLA_FLAGS=--xla_force_host_platform_device_count=8`) donne les mêmes pertes et paramètres, à l'arrondi float32 près."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
STEPS = 30
TINY = ["--image-vocab-size", "91", "--d-model", "32", "--layers", "1", "--heads", "2", "--ffn-dim", "64", "--vocab-size", "300",
        "--dropout", "0.1", "--batch-size", "16", "--learning-rate", "0.01", "--warmup-steps", "5", "--log-every", "1",
        "--eval-every", "15", "--checkpoint-every", "0", "--steps", str(STEPS), "--no-progress"]


def env(devices: int) -> dict:
    e = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    e["XLA_FLAGS"] = (e.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={devices}").strip()
    return e


def run(data, out, devices):
    cmd = [sys.executable, "-m", "dalle_mini_nb.train", "bart", "--data", str(data), "--out", str(out), *TINY]
    r = subprocess.run(cmd, env=env(devices), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    meta = json.loads((out / "checkpoints" / str(STEPS) / "meta" / "metadata").read_text())
    assert meta["devices"] == devices
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("sharding")
    subprocess.run([sys.executable, "-m", "dalle_mini_nb.train", "synthetic", str(d / "data"), "--n-train", "256",
                    "--n-validation", "40", "--n-heldout", "0"], env=env(1), check=True, capture_output=True)
    return run(d / "data", d / "un", 1), run(d / "data", d / "huit", 8)


def test_same_losses_and_params_on_1_and_8_devices(runs):
    from dalle_mini_nb.train import run_gaps
    g = run_gaps(*runs)
    print(json.dumps(g))
    assert g["train_steps"] == STEPS and g["eval_points"] == 2
    assert g["train_loss"] < 1e-5 and g["eval_loss"] < 1e-5
    assert g["params"] < 1e-4
    assert g["k_proj_bias"] < 2 * STEPS * 0.01 * 1e-3  # bruit d'arrondi amplifié par Adafactor (gradient nul en théorie)
