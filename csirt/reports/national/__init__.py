"""The national incident reports: Form 03 (initial report) and Form 04 (closing report), filled
from what csirt knows about the incident, edited on a page, exported as .docx and PDF
(`pdf.render` turns HTML into a PDF with the vendored fonts; Form 05 uses it too)."""
