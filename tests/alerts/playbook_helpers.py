"""A valid playbook in the language of playbooks/README.md, and small helpers for the playbook
tests: write a file, load it, read its errors."""
import textwrap

from csirt.alerts.playbooks.compile import compile_file

GOOD = textwrap.dedent('''\
    id: web-defacement
    title: {vi: "Thay đổi giao diện trang web", en: "Website defacement"}
    description: {vi: "Mô tả", en: "Description"}
    order: 100
    continue: false
    enabled: true
    match:
      all:
        - 'source="wazuh"'
        - '{rule_groups=~".*web.*", severity!="info"}'
        - {field: severity, gte: high}
        - {field: host, in: [portal.example, 10.0.0.5]}
    group:
      by: [source, host, labels.rule_id]
      window: 6h
      on_resolved: close
    incident:
      title: {vi: "Trang {{ host }} bị thay đổi giao diện", en: "{{ host }} defaced"}
      description: "{{ description }}"
      category: defacement
      sub_type: web_shell
      severity: {critical: serious, high: serious, default: ordinary}
      priority: P2
      tlp: AMBER
      agency: host
    actions:
      - assign: [{rotation: primary}, {role: coordinator}, {person: an.nguyen}]
      - tasks:
          - key: isolate
            title: {vi: "Cô lập máy chủ", en: "Isolate the server"}
            detail: {vi: "Markdown vi", en: "Markdown en"}
            owner_role: responder
            due: 1h
            required: true
          - key: report
            title: Report
      - clocks: [incident.notice, incident.report]
      - note: {vi: "Mở từ {{ source }}", en: "Opened from {{ source }} ({{ labels.rule_id }})"}
      - link_affected: true
      - notify:
          to: [assignee, {rotation: primary}, {role: manager}, {person: an.nguyen}, agency_contact]
          channels: [email, telegram, webhook]
          on: [opened, joined, resolved]
      - escalate:
          - {after: 15m, to: [{rotation: secondary}], channels: [telegram]}
          - {after: 45m, to: [{role: manager}], channels: [email, telegram]}
    ''')


def minimal(playbook_id="minimal", order=10, extra=""):
    """The smallest valid playbook, with `extra` YAML lines appended at the top level."""
    return textwrap.dedent(f'''\
        id: {playbook_id}
        title: Minimal
        order: {order}
        match: {{}}
        incident:
          title: "Alert on {{{{ host }}}}"
          category: other
          severity: ordinary
          priority: P4
          tlp: GREEN
          agency: host
        ''') + textwrap.dedent(extra)


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8") if isinstance(text, str) else path.write_bytes(text)
    return path


def errors_of(folder, text, name="book.yaml"):
    """The errors of one file as (line, message) pairs; the file must be refused."""
    result = compile_file(write(folder, name, text))
    assert result.playbook is None, "expected the file to be refused"
    assert result.errors
    assert all(error.path == str(folder / name) for error in result.errors)
    return [(error.line, error.message) for error in result.errors]


def replace_line(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)
