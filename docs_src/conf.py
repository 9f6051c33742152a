"""Configuration sphinx du site (construit par `python tools/docs.py`, source : `.sphinx_build/src/`).

Les réglages du projet viennent de settings.ini (comme pour nbdev/Quarto). Le site doit marcher
hors ligne : aucune ressource chargée depuis un CDN (pas de MathJax, pas de widgets JS).
"""
import configparser
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # extension locale `mathml`
_cp = configparser.ConfigParser()
_cp.read(HERE.parent / "settings.ini", encoding="utf-8")
cfg = _cp["DEFAULT"]

project = cfg["lib_name"]
author = cfg["author"]
copyright = cfg["copyright"]
release = version = cfg["version"]
language = "fr"
html_title = cfg["title"]
html_baseurl = f"{cfg['doc_host'].rstrip('/')}/{cfg['doc_baseurl'].strip('/')}/"

extensions = ["myst_nb", "mathml", "sphinx.ext.githubpages"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# --- myst-nb : afficher les sorties enregistrées, ne jamais exécuter ---------------------------
nb_execution_mode = "off"
nb_render_markdown_format = "myst"  # sorties markdown (show_doc) lues comme les cellules
nb_ipywidgets_js = {}  # pas de require.js / html-manager depuis un CDN
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "attrs_inline", "attrs_block", "strikethrough"]
myst_heading_anchors = 3  # liens `page.ipynb#titre-de-section` comme sous Quarto
myst_dmath_double_inline = True
smartquotes = False  # le texte affiché est celui des notebooks (et du README), guillemets compris

# --- références : tout lien interne cassé est une erreur (tools/docs.py lance sphinx avec -W -n)
nitpicky = True
suppress_warnings = [
    # show_doc place ses titres au niveau 3 (###) même juste après le titre de la page (#) :
    # un saut de niveau voulu par nbdev, sans effet sur les liens.
    "myst.header",
]

# --- thème -------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_favicon = "_static/favicon.svg"
html_math_renderer = "mathml"
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = False
# Mode clair par défaut : les figures matplotlib sont sur fond blanc (et sans valeur, le thème
# écrit « Got invalid theme mode » en erreur dans la console à la première visite).
html_context = {"default_mode": "light"}
html_theme_options = {
    "repository_url": cfg["git_url"],
    "repository_branch": cfg["branch"],
    "path_to_docs": cfg.get("nbs_path", "nbs"),
    "use_repository_button": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "navigation_with_keys": False,
}
