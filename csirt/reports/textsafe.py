"""Text made safe for the document writers (.docx through python-docx, .xlsx through openpyxl):
XML 1.0 has no place for the C0 control characters other than tab, line feed and carriage return,
and both libraries refuse a string holding one ("All strings must be XML compatible",
IllegalCharacterError). Stored text may hold them (an incident's description pasted from a
terminal), so every writer passes its text through `clean` rather than failing the download."""
import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # keeps \t, \n and \r


def clean(value):
    """`value` as text ("" for None) without the characters XML cannot hold."""
    text = "" if value is None else str(value)
    return CONTROL.sub("", text)


def newlines(value):
    """`value` with the browsers' \\r\\n (and a lone \\r) as \\n: what a textarea sends, read back
    as it was shown. A WTForms filter (None stays None)."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n")
