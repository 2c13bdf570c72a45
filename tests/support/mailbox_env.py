"""Helpers for the mailbox tests: the seller's sent plan as RFC 822, a recording sleep."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from addin_server.mailboxes.retry import RetryPolicy

SELLER = "dana@brightpath.example"
CUSTOMER = "maria.lopez@northwind-health.example"


def sent_raw(sent) -> bytes:
    """The seller's plan email (a mail_clients.SentEmail) as the customer's server received it."""
    message = EmailMessage()
    message["From"] = formataddr((sent.from_name, sent.from_addr))
    message["To"] = formataddr((sent.to_name, sent.to_addr))
    message["Subject"] = sent.subject
    message["Date"] = format_datetime(sent.date)
    message["Message-ID"] = f"<{sent.message_id}>"
    message["MIME-Version"] = "1.0"
    message.set_content(sent.text, cte="quoted-printable")
    message.add_alternative(sent.html, subtype="html", cte="quoted-printable")
    return message.as_bytes(policy=email.policy.SMTP)


class Sleeps(list):
    """A sleep that records how long it was asked to wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    def policy(self, **kwargs) -> RetryPolicy:
        return RetryPolicy(sleep=self, rand=lambda: 0.5, **kwargs)
