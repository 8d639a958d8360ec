"""Scheduled checks of the servers' controls: firewall exposure (nmap), monitoring agent,
antivirus, TLS certificate, portal availability. See `kinds.py` for the shape every check kind
shares, `workitems.py` for how configurations become scheduled rows, `runner.py` for a tick."""
