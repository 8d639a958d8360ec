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
