"""The level dossier of an information system: a printable page and a .docx with what a
level-approval file needs (the system, its level and classification inputs, its servers, its
four layers with evidence references, its last assessments)."""
