"""Copier le dépôt comme le donnerait un `git clone` de votre copie de travail.

Les fichiers suivis par git et les nouveaux fichiers non ignorés (vos modifications comprises) ;
rien de ce qui est construit ou installé (`.venv/`, `_docs/`, `build/`…). Sans git, le dossier est
copié en sautant ces produits. Servent : tools/run_tests.py (toute la suite tourne dans une copie,
dans un dossier temporaire où rien n'est à côté du dépôt), tests/test_docs.py, tests/test_fresh_env.py.
"""
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_BUILT = (".git", ".venv", ".benchenv", "_docs", "_proc", ".sphinx_build", "jupyter_execute", "__pycache__", "*.egg-info",
          "build", "dist", ".pytest_cache", "runs", "out")


def tracked_files(root: Path = ROOT) -> list[str] | None:
    "Chemins (relatifs) des fichiers suivis + non suivis non ignorés ; None sans git."
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root,
                             capture_output=True, check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError): return None
    return [f for f in out.split("\0") if f and (root / f).is_file()]  # (un fichier suivi effacé n'est pas copié)


def copy_repo(dest: Path, root: Path = ROOT) -> Path:
    "Copie le dépôt `root` dans `dest` (créé) ; rend `dest`."
    dest = Path(dest)
    files = tracked_files(root)
    if files is None:
        shutil.copytree(root, dest, ignore=shutil.ignore_patterns(*_BUILT), dirs_exist_ok=True)
        return dest
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / f, dest / f)
    return dest
