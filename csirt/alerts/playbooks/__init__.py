"""Playbooks: read a YAML file safely (loader), check it against the JSON Schema (schema), compile
it into frozen objects (compile, compiled) and keep the set in force, swapped whole when a file of
the folder changes (registry). See playbooks/README.md for the language."""
