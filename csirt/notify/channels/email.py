"""E-mail over SMTP: plain text and HTML (multipart/alternative), STARTTLS and login when set.

The Message-ID is derived from the notification's id, and `X-Csirt-Notification` carries the id,
so a receiver can drop a duplicate (a delivery interrupted after the server accepted it but
before the outbox recorded it is sent again).
"""
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from email_validator import EmailNotValidError, validate_email

from ...catalogue import gettext as _
from ...errors import invalid
from ..models import ADDRESS_MAX


def message_id(notification_id, sender):
    domain = sender.rpartition("@")[2].strip(" >") or "csirt.local"
    return f"<csirt-notification-{notification_id}@{domain}>"


class EmailChannel:
    name = "email"

    def validate_address(self, address):
        address = (address or "").strip()
        try:
            if len(address) > ADDRESS_MAX:
                raise EmailNotValidError("too long")
            return validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError:
            raise invalid({"address": _("Not a valid e-mail address.")}) from None

    def build(self, notification, message, config):
        sender = config.get("CSIRT_SMTP_FROM") or "csirt@localhost"
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = formataddr(("CSIRT", sender))
        mail["To"] = notification.address
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = message_id(notification.id, sender)
        mail["X-Csirt-Notification"] = str(notification.id)
        mail["Content-Language"] = notification.locale or "vi"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, notification, message, config):
        mail = self.build(notification, message, config)
        timeout = config.get("CSIRT_SMTP_TIMEOUT", 10)
        with smtplib.SMTP(config.get("CSIRT_SMTP_HOST") or "localhost", int(config.get("CSIRT_SMTP_PORT") or 25),
                          timeout=timeout) as smtp:
            if config.get("CSIRT_SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("CSIRT_SMTP_USER"):
                smtp.login(config["CSIRT_SMTP_USER"], config.get("CSIRT_SMTP_PASSWORD") or "")
            smtp.send_message(mail)
