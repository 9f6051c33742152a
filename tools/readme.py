"""Génère README.md depuis nbs/index.ipynb avec `jupyter nbconvert --to markdown`.

Les directives nbdev sont respectées : une cellule `#|hide` disparaît, une cellule
`#|echo: false` ne garde que sa sortie. Les figures vont dans README_files/.

    python tools/readme.py           # écrit README.md et README_files/
    python tools/readme.py --check   # échoue si README.md n'est plus à jour
"""
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import MarkdownExporter
from nbconvert.preprocessors import Preprocessor

ROOT = Path(__file__).resolve().parents[1]
_DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(.*)$")


def _directives(src: str) -> list[str]:
    "Les directives nbdev (`#|...`) en tête de cellule."
    out = []
    for line in src.splitlines():
        m = _DIRECTIVE.match(line)
        if not m: break
        out.append(m.group(1).strip().lower())
    return out


class NbdevDirectives(Preprocessor):
    "Applique `#|hide` et `#|echo: false`, retire les lignes de directives."

    def preprocess(self, nb, resources):
        cells = []
        for c in nb.cells:
            if c.cell_type == "code":
                d = _directives(c.source)
                if "hide" in d or any(x.startswith("default_exp") for x in d): continue
                if "echo: false" in d or "echo:false" in d: c.metadata["transient"] = {"remove_source": True}
                else: c.source = "\n".join(l for l in c.source.splitlines() if not _DIRECTIVE.match(l))
            cells.append(c)
        nb.cells = cells
        return nb, resources


def render() -> tuple[str, dict]:
    "Markdown du README et ses fichiers (nom → octets)."
    nb = nbformat.read(ROOT / "nbs" / "index.ipynb", as_version=4)
    exp = MarkdownExporter()
    exp.register_preprocessor(NbdevDirectives, enabled=True)
    body, res = exp.from_notebook_node(nb, resources={"output_files_dir": "README_files", "unique_key": "README"})
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    return body, res.get("outputs", {})


def main(check: bool = False) -> int:
    body, files = render()
    if check:
        stale = (ROOT / "README.md").read_text(encoding="utf-8") != body
        stale |= any(not (ROOT / k).is_file() or (ROOT / k).read_bytes() != v for k, v in files.items())
        if stale: print("README.md n'est plus à jour : lancez `python tools/readme.py`", file=sys.stderr)
        return int(stale)
    (ROOT / "README.md").write_text(body, encoding="utf-8")
    out = ROOT / "README_files"
    for old in out.glob("*"): old.unlink()
    for k, v in files.items(): (ROOT / k).parent.mkdir(exist_ok=True); (ROOT / k).write_bytes(v)
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
