"""HTML to PDF with WeasyPrint, for the national forms (03, 04, 05).

`render(html, base_url=None) -> bytes` is the one entry point. The PDF depends on nothing outside
the package: the vendored DejaVu Serif (csirt/static/fonts, every Vietnamese glyph) is declared
with @font-face under the family name `FONT_FAMILY` and imposed on every element, and the URL
fetcher refuses every address except those font files, so a form never reaches the network, the
disk or a `data:` URL on the strength of what someone typed into an incident. WeasyPrint is
imported on first use: importing csirt loads no native library.
"""
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "fonts"
FONT_FAMILY = "CsirtSerif"  # the name the templates' CSS uses
FONT_FACES = (  # (file, weight, style)
    ("DejaVuSerif.ttf", "normal", "normal"),
    ("DejaVuSerif-Bold.ttf", "bold", "normal"),
    ("DejaVuSerif-Italic.ttf", "normal", "italic"),
    ("DejaVuSerif-BoldItalic.ttf", "bold", "italic"),
)


def font_urls():
    """{file URL: path} of the vendored fonts: the only addresses a rendering may read."""
    return {(FONT_DIR / name).as_uri(): FONT_DIR / name for name, _weight, _style in FONT_FACES}


def font_css():
    """The @font-face rules of the vendored fonts (file URLs) and the family as the default."""
    rules = [f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{(FONT_DIR / name).as_uri()}"); '
             f"font-weight: {weight}; font-style: {style}; }}" for name, weight, style in FONT_FACES]
    # user-level !important wins over any author rule: a template's "sans-serif" cannot reach
    # for a system font
    rules.append(f'html, html * {{ font-family: "{FONT_FAMILY}" !important; }}')
    return "\n".join(rules)


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    allowed = font_urls()

    class FontsOnly(URLFetcher):
        """Serves the vendored font files and refuses every other URL (WeasyPrint then leaves the
        resource out and logs a warning)."""

        def fetch(self, url, headers=None):
            path = allowed.get(url.split("?", 1)[0].split("#", 1)[0])
            if path is None:
                logger.warning("refused to fetch %.200s while rendering a PDF", url)
                raise ValueError("fetching is not allowed while rendering a form")
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "font/ttf"})

    return FontsOnly


def render(html, base_url=None):
    """The PDF (bytes) of the HTML document `html`; fonts come from the package only and no
    URL is fetched. `base_url` only resolves relative links written into the PDF."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _fetcher_class()()
    fonts = FontConfiguration()
    stylesheet = CSS(string=font_css(), font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
