#!/usr/bin/env python3
"""Deliver one welcome message to each recipient through a Dovecot LMTP listener.

All recipients share one LMTP transaction. After DATA an LMTP server (RFC 2033) sends one
reply per accepted recipient, in RCPT order, so this client reads exactly that many replies.
smtplib.LMTP reads only one and falls out of step with several recipients.

Exit status: 0 when every recipient got the message, 1 otherwise.
"""

import argparse
import email.utils
import socket
import sys


class LmtpError(Exception):
    """An unexpected reply or a broken connection during the LMTP session."""


class LmtpClient:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.reader = self.sock.makefile("rb")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def read_reply(self) -> tuple[int, str]:
        """Read one reply, joining the lines of a multi-line reply ("250-...", "250 ...")."""
        lines = []
        while True:
            raw = self.reader.readline(4096)
            if not raw:
                raise LmtpError("connection closed by the server")
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if len(line) < 3 or not line[:3].isdigit():
                raise LmtpError(f"invalid reply line: {line!r}")
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return int(line[:3]), " ".join(lines)

    def command(self, text: str) -> tuple[int, str]:
        self.sock.sendall(text.encode("utf-8") + b"\r\n")
        return self.read_reply()

    def expect(self, text: str, expected_code: int) -> None:
        code, reply = self.command(text)
        if code != expected_code:
            raise LmtpError(f"{text.split(' ')[0]} returned {code} {reply} (expected {expected_code})")


def build_message(sender: str, backend_label: str) -> bytes:
    body = (
        "Welcome to the Mailpin demo.\n"
        "\n"
        f"This message was delivered over LMTP to {backend_label} when the demo started.\n"
        "Both backends share one Maildir tree, so either of them serves it.\n"
    )
    headers = [
        f"From: Mailpin demo <{sender}>",
        "To: Mailpin demo users:;",
        "Subject: Welcome to the Mailpin demo",
        f"Date: {email.utils.formatdate(localtime=True)}",
        f"Message-ID: {email.utils.make_msgid(domain=sender.partition('@')[2] or None)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    text = "\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")
    # Dot-stuffing: a line that starts with "." gets a second one (RFC 5321, section 4.5.2).
    stuffed = "\r\n".join("." + line if line.startswith(".") else line for line in text.split("\r\n"))
    return stuffed.encode("utf-8")


def deliver(args: argparse.Namespace) -> int:
    client = LmtpClient(args.host, args.port, args.timeout)
    failures = 0
    try:
        code, reply = client.read_reply()
        if code != 220:
            raise LmtpError(f"greeting was {code} {reply} (expected 220)")
        client.expect("LHLO mailpin-demo", 250)
        client.expect(f"MAIL FROM:<{args.sender}>", 250)

        accepted = []
        for recipient in args.recipients:
            code, reply = client.command(f"RCPT TO:<{recipient}>")
            if code == 250:
                accepted.append(recipient)
            else:
                failures += 1
                print(f"lmtp-deliver: {recipient}: RCPT rejected: {code} {reply}", file=sys.stderr)

        if accepted:
            client.expect("DATA", 354)
            client.sock.sendall(build_message(args.sender, args.label) + b"\r\n.\r\n")
            for recipient in accepted:
                code, reply = client.read_reply()
                if code == 250:
                    print(f"lmtp-deliver: {recipient}: delivered via {args.label}")
                else:
                    failures += 1
                    print(f"lmtp-deliver: {recipient}: delivery failed: {code} {reply}", file=sys.stderr)
        else:
            client.command("RSET")
        client.command("QUIT")
    finally:
        client.close()
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True, help="address of the LMTP listener")
    parser.add_argument("--port", type=int, default=24, help="LMTP port (default 24)")
    parser.add_argument("--sender", default="demo@example.test", help="envelope sender")
    parser.add_argument("--label", default=None, help="backend name for the message text")
    parser.add_argument("--timeout", type=float, default=30.0, help="socket timeout in seconds")
    parser.add_argument("recipients", nargs="+", help="recipient addresses")
    args = parser.parse_args()
    if args.label is None:
        args.label = f"{args.host}:{args.port}"
    try:
        return deliver(args)
    except (OSError, LmtpError) as error:
        print(f"lmtp-deliver: delivery to {args.host}:{args.port} failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
