#!/usr/bin/env python3
"""Log in over IMAP, select INBOX and fetch the subject of message 1.

Used by the example scripts to check a backend or a proxy (Dovecot's director, Mailpin)
end to end. Prints one line on success and exits 1 with the server's reply on failure.
"""

import argparse
import email
import email.header
import imaplib
import socket
import sys


def decode_subject(raw_header: bytes) -> str:
    message = email.message_from_bytes(raw_header)
    subject = message.get("Subject", "")
    return str(email.header.make_header(email.header.decode_header(subject)))


def check(args: argparse.Namespace) -> str:
    with imaplib.IMAP4(args.host, args.port, timeout=args.timeout) as imap:
        imap.login(args.user, args.password)
        status, data = imap.select("INBOX", readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"SELECT INBOX returned {status} {data}")
        count = int(data[0])
        if count == 0:
            if args.require_message:
                raise imaplib.IMAP4.error("INBOX is empty, but a message was required")
            imap.logout()
            return f"{args.user} logged in at {args.host}:{args.port}, INBOX is empty"
        status, data = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        if status != "OK" or not data or not isinstance(data[0], tuple):
            raise imaplib.IMAP4.error(f"FETCH 1 returned {status} {data}")
        subject = decode_subject(data[0][1])
        imap.logout()
        return (
            f"{args.user} logged in at {args.host}:{args.port}, INBOX has {count} message(s), "
            f"message 1 subject: {subject!r}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host", help="IMAP server address")
    parser.add_argument("user", help="login name")
    parser.add_argument("password", help="password")
    parser.add_argument("--port", type=int, default=143, help="IMAP port (default 143)")
    parser.add_argument("--timeout", type=float, default=15.0, help="socket timeout in seconds")
    parser.add_argument(
        "--require-message", action="store_true", help="fail when INBOX has no messages"
    )
    args = parser.parse_args()
    try:
        print(f"imap-check: {check(args)}")
        return 0
    except (OSError, socket.timeout, imaplib.IMAP4.error) as error:
        print(f"imap-check: {args.user} at {args.host}:{args.port} failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
