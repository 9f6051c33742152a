"""hub.resolve dans un vrai processus : HF_HUB_OFFLINE et HF_HUB_CACHE lus dans l'environnement."""
import os
import subprocess
import sys

from dalle_mini_nb.hub import CONFIG_NAME, WEIGHTS_NAME, fake_hub_cache

SCRIPT = """
import sys
from dalle_mini_nb.hub import resolve, read_config
try:
    print(read_config(resolve(sys.argv[1]))["nom"])
except Exception as e:
    print(type(e).__name__, e)
"""


def _run(repo, cache, offline="1"):
    env = {**os.environ, "HF_HUB_OFFLINE": offline, "HF_HUB_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-c", SCRIPT, repo], env=env, capture_output=True, text=True, timeout=120).stdout


def test_offline_name_resolves_from_cache(tmp_path):
    fake_hub_cache(tmp_path, "org/modele", {CONFIG_NAME: b'{"nom": "depuis le cache"}', WEIGHTS_NAME: b"x"})
    assert _run("org/modele", tmp_path).strip() == "depuis le cache"


def test_offline_and_not_cached_names_the_repo(tmp_path):
    out = _run("org/absent", tmp_path)
    assert "ModelNotFoundError" in out and "« org/absent »" in out and "HF_HUB_OFFLINE" in out


def test_offline_missing_weights_file_is_named(tmp_path):
    fake_hub_cache(tmp_path, "org/sans-poids", {CONFIG_NAME: b"{}"})
    out = _run("org/sans-poids", tmp_path)
    assert "ModelNotFoundError" in out and WEIGHTS_NAME in out
