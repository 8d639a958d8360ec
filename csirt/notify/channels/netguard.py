"""Where a webhook may go: never into loopback, link-local, private, multicast, reserved or
cloud-metadata addresses, unless the admin allows the network (CSIRT_WEBHOOK_ALLOWED_NETWORKS,
comma-separated CIDRs). Checked when the address is saved and again, on the resolved address
the request then connects to, at each delivery (DNS may change in between)."""
import ipaddress
import logging
import socket

# Cloud metadata services (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba): refused even when allowed.
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}


class RefusedAddress(Exception):
    """The address is in a refused network; `address` says which."""

    def __init__(self, address):
        super().__init__(f"refused network address {address}")
        self.address = address


# IPv6 ranges `is_global` lets through that can reach inside: 6to4 (which embeds any IPv4 address,
# loopback and metadata included) and the deprecated site-local range.
REFUSED_V6 = (ipaddress.ip_network("2002::/16"), ipaddress.ip_network("fec0::/10"))


def allowed_networks(text):
    """The admin's CIDRs; a malformed entry is left out (and logged), never a failure of the page."""
    out = []
    for part in (text or "").split(","):
        if part.strip():
            try:
                out.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                logging.getLogger(__name__).warning("CSIRT_WEBHOOK_ALLOWED_NETWORKS: %r is not a network", part)
    return out


def check_ip(address, allowed=()):
    """Raise RefusedAddress unless `address` (text or ip object) may be called."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA:
        raise RefusedAddress(str(ip))
    if any(ip in network for network in allowed):
        return ip
    if isinstance(ip, ipaddress.IPv6Address) and any(ip in net for net in REFUSED_V6):
        raise RefusedAddress(str(ip))
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local \
            or ip.is_private or ip.is_unspecified:
        raise RefusedAddress(str(ip))
    return ip


def resolve(host, port, allowed=()):
    """The addresses `host` resolves to, each checked; RefusedAddress if any is refused,
    OSError if it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = check_ip(sockaddr[0].split("%")[0], allowed)
        if str(ip) not in addresses:
            addresses.append(str(ip))
    if not addresses:
        raise OSError(f"{host} does not resolve")
    return addresses
