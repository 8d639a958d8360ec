"""Markdown for notes: CommonMark with raw HTML disabled, so user text can never carry markup."""
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable("image")  # no remote images: they would leak the reader's address


def render(text):
    """HTML built by markdown-it from escaped text (raw HTML is escaped, javascript: links refused)."""
    return Markup(_md.render(text or ""))  # noqa: S704 - markdown-it escapes all raw HTML (html=False)
