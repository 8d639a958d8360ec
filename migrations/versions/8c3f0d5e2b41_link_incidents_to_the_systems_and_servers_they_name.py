"""link incidents to the systems and servers they name

Each incident's two free-text fields (`affected_systems`, `affected_servers`) are split on commas,
semicolons and new lines; a piece naming an information system (its code, any case, or its exact
name) or a server (its hostname, any case, or one of its addresses) becomes a link in
`incident_system` / `incident_server`, and the text keeps only the pieces that named nothing
(joined with "; "), so nothing is lost. Downgrade puts the linked codes and hostnames back in
front of the text and removes the links.

The matching is a frozen copy of `csirt.incidents.affected` as it was when this was written: a
migration must not change when the app's code does.

Revision ID: 8c3f0d5e2b41
Revises: 7b2e9c4d1a30
Create Date: 2026-12-03 13:00:00.000000

"""
import ipaddress
import json
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c3f0d5e2b41'
down_revision = '7b2e9c4d1a30'
branch_labels = None
depends_on = None


# the tables as this revision knows them (not the models, which may change later)
incident = sa.table("incident", sa.column("id", sa.Integer), sa.column("affected_systems", sa.Text),
                    sa.column("affected_servers", sa.Text))
information_system = sa.table("information_system", sa.column("id", sa.Integer), sa.column("code", sa.String),
                              sa.column("name", sa.String))
server = sa.table("server", sa.column("id", sa.Integer), sa.column("hostname", sa.String),
                  sa.column("addresses", sa.JSON))
incident_system = sa.table("incident_system", sa.column("incident_id", sa.Integer),
                           sa.column("system_id", sa.Integer))
incident_server = sa.table("incident_server", sa.column("incident_id", sa.Integer),
                           sa.column("server_id", sa.Integer))

SEPARATORS = re.compile(r"[,;\n]")
JOINER = "; "


def _pieces(text):
    seen, out = set(), []
    for piece in SEPARATORS.split(text or ""):
        piece = piece.strip()
        if piece and piece not in seen:
            seen.add(piece)
            out.append(piece)
    return out


def _match(text, find):
    """(ids found in order, each once; the pieces that named nothing)."""
    ids, leftover = [], []
    for piece in _pieces(text):
        found = find(piece)
        if found is None:
            leftover.append(piece)
        elif found not in ids:
            ids.append(found)
    return ids, leftover


def _address_key(text):
    text = str(text).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text.casefold()


def _addresses(value):
    if isinstance(value, str):  # a driver that hands JSON back as text
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


def upgrade():
    conn = op.get_bind()
    systems = conn.execute(sa.select(information_system.c.id, information_system.c.code,
                                     information_system.c.name)).all()
    servers = conn.execute(sa.select(server.c.id, server.c.hostname, server.c.addresses)).all()
    by_code = {code.casefold(): ident for ident, code, _name in systems}
    by_name = {name: ident for ident, _code, name in systems}
    by_host = {hostname.casefold(): ident for ident, hostname, _a in servers}
    by_address = {_address_key(a): ident for ident, _h, addresses in servers for a in _addresses(addresses)}

    def find_system(piece):
        return by_code.get(piece.casefold()) or by_name.get(piece)

    def find_server(piece):
        return by_host.get(piece.casefold()) or by_address.get(_address_key(piece))

    rows = conn.execute(sa.select(incident.c.id, incident.c.affected_systems, incident.c.affected_servers)
                        .where(sa.or_(incident.c.affected_systems != "", incident.c.affected_servers != ""))
                        .order_by(incident.c.id)).all()
    existing_systems = set(conn.execute(sa.select(incident_system.c.incident_id, incident_system.c.system_id)).all())
    existing_servers = set(conn.execute(sa.select(incident_server.c.incident_id, incident_server.c.server_id)).all())
    system_links, server_links = [], []
    for ident, systems_text, servers_text in rows:
        system_ids, system_left = _match(systems_text, find_system)
        server_ids, server_left = _match(servers_text, find_server)
        system_links += [{"incident_id": ident, "system_id": s} for s in system_ids
                         if (ident, s) not in existing_systems]
        server_links += [{"incident_id": ident, "server_id": s} for s in server_ids
                         if (ident, s) not in existing_servers]
        if system_ids or server_ids:
            conn.execute(incident.update().where(incident.c.id == ident).values(
                affected_systems=JOINER.join(system_left), affected_servers=JOINER.join(server_left)))
    if system_links:
        conn.execute(incident_system.insert(), system_links)
    if server_links:
        conn.execute(incident_server.insert(), server_links)


def downgrade():
    conn = op.get_bind()
    names = {}  # incident id -> ([system codes], [hostnames])
    for ident, code in conn.execute(
            sa.select(incident_system.c.incident_id, information_system.c.code)
            .join(information_system, information_system.c.id == incident_system.c.system_id)
            .order_by(incident_system.c.incident_id, information_system.c.code)):
        names.setdefault(ident, ([], []))[0].append(code)
    for ident, hostname in conn.execute(
            sa.select(incident_server.c.incident_id, server.c.hostname)
            .join(server, server.c.id == incident_server.c.server_id)
            .order_by(incident_server.c.incident_id, server.c.hostname)):
        names.setdefault(ident, ([], []))[1].append(hostname)
    for ident, (codes, hostnames) in sorted(names.items()):
        systems_text, servers_text = conn.execute(
            sa.select(incident.c.affected_systems, incident.c.affected_servers).where(incident.c.id == ident)).one()
        values = {}
        if codes:
            values["affected_systems"] = JOINER.join(codes + _pieces(systems_text))
        if hostnames:
            values["affected_servers"] = JOINER.join(hostnames + _pieces(servers_text))
        conn.execute(incident.update().where(incident.c.id == ident).values(**values))
    conn.execute(incident_system.delete())
    conn.execute(incident_server.delete())
