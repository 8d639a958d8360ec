"""Markdown for notes: CommonMark with raw HTML disabled, so user text can never carry markup."""
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.disable("image")  # no remote images: they would leak the reader's address


def render(text):
    """HTML built by markdown-it from escaped text (raw HTML is escaped, javascript: links refused)."""
    return Markup(_md.render(text or ""))  # noqa: S704 - markdown-it escapes all raw HTML (html=False)


_SPECIAL = "\\`*_[]<>"


def escape(text):
    """One line of `text` as Markdown that renders to that text: the marks that make links, code,
    emphasis or autolinks get a backslash (those that matter only at a line's start, such as "#"
    or "-", are left: the line starts with csirt's own words). For text from the network (a
    certificate's names, a redirect's address) in a description rendered as Markdown, kept
    readable where the same description is shown as plain text."""
    return "".join("\\" + c if c in _SPECIAL else c for c in str(text or ""))
