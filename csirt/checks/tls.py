"""The TLS kind: the certificate served at host:port is trusted (the default trust store, plus
CSIRT_TLS_CA_FILE when set), names the expected host (`server_name`, default `host`, also sent
as SNI), and has at least `min_days` left.

The host is resolved once and only an address inside the allowed networks is connected to.
When verification fails, the certificate is fetched once more without verification, so the
result still says how many days it has left.
"""
import os
import ssl
import tempfile
import time
from datetime import datetime, timezone

from ..clock import iso_utc
from . import reach
from .kinds import each

DEFAULT_MIN_DAYS = 14
HOSTNAME_MISMATCH, IP_MISMATCH, CERT_EXPIRED = 62, 64, 10  # OpenSSL's X509_V_ERR_* codes


def not_after(cert):
    """The certificate's notAfter (from `getpeercert()`'s dict) as naive UTC, or None."""
    text = (cert or {}).get("notAfter")
    if not text:
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(text), timezone.utc).replace(tzinfo=None)


def _name(parts):
    """'CN=x, O=y' from getpeercert()'s ((('commonName', 'x'),), ...) form."""
    short = {"commonName": "CN", "organizationName": "O", "countryName": "C", "organizationalUnitName": "OU"}
    return ", ".join(f"{short.get(k, k)}={v}" for rdn in parts or () for k, v in rdn)


def describe(cert):
    """The facts a result shows of a certificate: subject, issuer, names, notAfter."""
    names = [v for k, v in (cert or {}).get("subjectAltName", ()) if k in ("DNS", "IP Address")]
    end = not_after(cert)
    return {"subject": _name((cert or {}).get("subject")), "issuer": _name((cert or {}).get("issuer")),
            "names": names, "not_after": iso_utc(end)}


def verdict(cert, now, min_days, problem=None):
    """(status, details) from the certificate `cert` (getpeercert()'s dict, or None when it could
    not be read) and the verification `problem` ("untrusted", "name_mismatch", "expired" or None).
    Fewer than `min_days` left fails "expiring" (exactly `min_days` passes). Pure."""
    details = describe(cert) if cert else {}
    end = not_after(cert) if cert else None
    if end is not None:
        details["days_left"] = (end - now).days if end >= now else -((now - end).days + 1)
    if problem == "expired" or (end is not None and end <= now):
        return "fail", {"reason": "expired", **details}
    if problem:
        return "fail", {"reason": problem, **details}
    if end is None:
        return "error", {"reason": "no_certificate", **details}
    if details["days_left"] < min_days:
        return "fail", {"reason": "expiring", **details}
    return "pass", {"reason": "ok", **details}


def _context(config):
    context = ssl.create_default_context()
    extra = config.get("CSIRT_TLS_CA_FILE")
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


def _decode(der):
    """getpeercert()'s dict for a certificate read without verification (Python gives only the
    DER form then; its own decoder reads PEM files)."""
    handle, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(ssl.DER_cert_to_PEM_cert(der))
        return ssl._ssl._test_decode_cert(path)
    except (AttributeError, ssl.SSLError, ValueError):
        return None
    finally:
        os.unlink(path)


def _fetch(ip, port, name, timeout, context):
    with reach.connect(ip, port, timeout) as sock:
        with context.wrap_socket(sock, server_hostname=name) as tls:
            if context.verify_mode == ssl.CERT_NONE:
                der = tls.getpeercert(binary_form=True)
                return _decode(der) if der else None
            return tls.getpeercert()


def _problem(err):
    code = getattr(err, "verify_code", None)
    if code in (HOSTNAME_MISMATCH, IP_MISMATCH):
        return "name_mismatch"
    if code == CERT_EXPIRED:
        return "expired"
    return "untrusted"


def check(job, ctx):
    """(status, details) of one job: connect, verify, and say what was found."""
    host = str(job.params.get("host") or "")
    port = int(job.params.get("port") or 443)
    name = str(job.params.get("server_name") or host)
    ip, refused = reach.pick(host, reach.networks(ctx.config))
    if refused == "not_allowed":
        return "error", {"reason": "not_allowed", "host": host}
    if ip is None:
        return "fail", {"reason": "connect_failed", "host": host, "error": refused}
    timeout = reach.budget(job.timeout, ctx.deadline)
    end = time.monotonic() + timeout  # both fetches below share the job's timeout
    try:
        cert = _fetch(ip, port, name, timeout, _context(ctx.config))
        problem = None
    except ssl.SSLCertVerificationError as err:
        problem = _problem(err)
        unverified = ssl.create_default_context()
        unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
        left = end - time.monotonic()
        try:
            cert = _fetch(ip, port, name, left, unverified) if left > 0 else None
        except (OSError, ssl.SSLError):
            cert = None
        status, details = verdict(cert, ctx.now, int(job.params.get("min_days", DEFAULT_MIN_DAYS)), problem)
        return status, {**details, "address": ip, "error": str(err.verify_message or "")[:200]}
    except ssl.SSLError as err:
        return "fail", {"reason": "handshake_failed", "address": ip, "error": str(err.reason or "")[:200]}
    except OSError as err:
        reason = "timeout" if isinstance(err, TimeoutError) else "connect_failed"
        return "fail", {"reason": reason, "address": ip, "error": type(err).__name__}
    status, details = verdict(cert, ctx.now, int(job.params.get("min_days", DEFAULT_MIN_DAYS)), problem)
    return status, {**details, "address": ip}


def run(jobs, ctx):
    return each(jobs, lambda job: check(job, ctx))
