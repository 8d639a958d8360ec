"""The fingerprint of an alert whose sender gave none: what makes two alerts "the same problem".

A sha256 over a canonical JSON text (sorted keys, no spaces, UTF-8), so it is the same in every
process and on every machine (Python's hash() is salted per process and must not be used).
"""
import hashlib
import json

# Labels that change from one notification of the same problem to the next (counters, times) and
# so must not split it into several fingerprints, by source. None are known for csirt's generic
# format (its senders choose their labels; a sender with a volatile label sends a fingerprint);
# Wazuh's counters (rule.firedtimes) never become labels, and its fingerprint is computed from
# rule, agent and file only (wazuh.py).
VOLATILE_LABELS = {
    "generic": (),
    "alertmanager": (),
    "wazuh": (),
}


def compute(source, labels, host="", title=""):
    """sha256 hex of source, the labels (sorted, minus the source's volatile ones) and host;
    the title counts only when there are no labels (else a reworded title would split one
    problem in two)."""
    volatile = VOLATILE_LABELS.get(source, ())
    kept = sorted((str(k), str(v)) for k, v in (labels or {}).items() if k not in volatile)
    identity = {"source": source, "labels": kept, "host": host or ""}
    if not kept:
        identity["title"] = title or ""
    text = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
