"""mailcatch: the SMTP catcher of `tools/dev up` and of the tests.

A handler class for Debian's aiosmtpd (python3-aiosmtpd):

    PYTHONPATH=tools /usr/bin/python3 -m aiosmtpd -n -u \\
        -l 127.0.0.1:PORT -c mailcatch.Catcher MAILDIR [DELAY_MS [REFUSE]]

Each message the relay accepts is written to MAILDIR (a Maildir: written
in tmp/, then renamed into new/, so that a reader never sees half a
message) exactly as it came: its bytes, CRLF line ends, preceded by a
Return-Path header (the envelope's sender) and one Delivered-To header
per envelope recipient.  A file in new/ means the relay answered 250.

DELAY_MS: wait that long before taking each message (before it is written
and before the 250), so that a test can cut the relay in the middle of a
batch and know which messages it took.  REFUSE: a recipient whose
address contains this text is refused for good (550), as a relay refuses
a mailbox that does not exist.

    /usr/bin/python3 tools/mailcatch.py show MAILDIR [N]

prints the last N messages caught (5 by default), decoded: the sender,
the recipients, the subject and the body (`tools/dev mail`).
"""
import asyncio
import email
import email.policy
import itertools
import os
import sys
import time


class Catcher:
    def __init__(self, maildir, delay_ms=0, refuse=None):
        self.maildir = maildir
        self.delay = delay_ms / 1000.0
        self.refuse = refuse or None
        self.seq = itertools.count(1)
        for d in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, d), exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if not 1 <= len(args) <= 3:
            parser.error("mailcatch.Catcher takes MAILDIR [DELAY_MS [REFUSE]]")
        return cls(args[0], int(args[1]) if len(args) >= 2 else 0,
                   args[2] if len(args) == 3 else None)

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if self.refuse is not None and self.refuse in address:
            # As Postfix does: the address in the reply.
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        name = "%d.%d_%d.mailcatch" % (time.time_ns(), os.getpid(),
                                       next(self.seq))
        head = "Return-Path: <%s>\r\n" % envelope.mail_from
        head += "".join("Delivered-To: %s\r\n" % r for r in envelope.rcpt_tos)
        body = envelope.original_content
        if body is None:
            body = envelope.content
        if isinstance(body, str):
            body = body.encode("utf-8")
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(head.encode("utf-8"))
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.maildir, "new", name))
        return "250 OK: caught as %s" % name


def show(maildir, n):
    new = os.path.join(maildir, "new")
    names = sorted(os.listdir(new)) if os.path.isdir(new) else []
    if not names:
        print("no mail caught yet in %s" % new)
        return
    for name in names[-n:]:
        with open(os.path.join(new, name), "rb") as f:
            m = email.message_from_binary_file(f, policy=email.policy.default)
        print("=" * 72)
        print("file:    %s" % os.path.join(new, name))
        for h in ("Date", "From", "To", "Subject", "Message-ID"):
            print("%-8s %s" % (h + ":", m.get(h, "")))
        print()
        body = m.get_body(preferencelist=("plain",))
        print(body.get_content() if body is not None else m.get_payload())
    print("=" * 72)
    print("%d message(s) in %s" % (len(names), new))


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "show":
        show(sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 5)
    else:
        sys.exit("usage: mailcatch.py show MAILDIR [N]")
