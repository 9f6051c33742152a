"""Extension sphinx : les équations ($…$, $$…$$, amsmath) converties en MathML à la construction.

Aucun JavaScript ni CDN (MathJax en chargerait un) : le navigateur affiche le MathML lui-même
et le site marche hors ligne. Une formule que latex2mathml refuse est un avertissement, donc une
erreur avec `-W`, qui cite la formule.
"""
import re

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)
# Environnements amsmath numérotés : sphinx met déjà le numéro (ordre du site) à droite du bloc,
# latex2mathml numéroterait aussi chaque ligne (en repartant de 1) : on passe à la forme étoilée.
_NUMBERED_ENV = re.compile(r"\\(begin|end)\{(align|alignat|equation|flalign|gather|multline)\}")


def _mathml(node, latex: str, display: str) -> str:
    try: return convert(latex.strip(), display=display)
    except Exception as e:  # noqa: BLE001 : le message de latex2mathml dit ce qui ne va pas
        logger.warning("équation refusée par latex2mathml (%s) : %s", e, latex, location=node)
        return f'<code class="math-error">{latex}</code>'


def visit_math(self, node):
    self.body.append(f'<span class="math">{_mathml(node, node.astext(), "inline")}</span>')
    raise nodes.SkipNode


def visit_math_block(self, node):
    self.body.append(self.starttag(node, "div", CLASS="math"))
    if node.get("number"):  # équation numérotée (`$$ … $$ (etiquette)`) : numéro + lien permanent
        self.body.append(f'<span class="eqno">({get_node_equation_number(self, node)})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    latex = _NUMBERED_ENV.sub(r"\\\1{\2*}", node.astext()) if node.get("nowrap") else node.astext()
    self.body.append(_mathml(node, latex, "block") + "</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
