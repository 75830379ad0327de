#!/usr/bin/python3
"""smtp_sink.py: a local SMTP server that keeps every message it accepts.

Used by the email tests and by `make run` (the demo's mail goes here, never
out). Built on aiosmtpd (Debian package python3-aiosmtpd). Each accepted
message is stored unchanged in a Maildir (DIR/new/) and described by one
JSON line in DIR/log.jsonl: {"from", "to", "file", "bytes", "auth"}.

Options let tests exercise Vern's SMTP client: STARTTLS (required or
offered), implicit TLS, AUTH LOGIN/PLAIN with one user, recipients refused
for good (550) or for now (451, once per address).

Prints "READY <port>" on stdout once it listens (--port 0 picks a free
port). Stops on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import json
import mailbox
import os
import re
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    def __init__(self, args):
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(args.maildir, sub), exist_ok=True)
        self.maildir = mailbox.Maildir(args.maildir, create=False)
        self.log = open(os.path.join(args.maildir, "log.jsonl"), "a", encoding="utf-8")
        self.reject = re.compile(args.reject_rcpt) if args.reject_rcpt else None
        self.tempfail = re.compile(args.tempfail_rcpt) if args.tempfail_rcpt else None
        self.tempfailed = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return "550 5.1.1 No such user here"
        if self.tempfail and self.tempfail.search(address) and address not in self.tempfailed:
            self.tempfailed.add(address)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        key = self.maildir.add(data)
        self.log.write(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "file": os.path.join("new", key),
            "bytes": len(data),
            "auth": bool(getattr(session, "authenticated", False)),
        }) + "\n")
        self.log.flush()
        return "250 2.0.0 OK queued as " + key


def tls_context(args):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    return ctx


async def main(args):
    handler = Handler(args)
    ctx = tls_context(args) if args.tls_cert else None
    authenticator = None
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode() == user and auth_data.password.decode() == password)
            return AuthResult(success=ok)

    def factory():
        kwargs = dict(hostname="sink.test", enable_SMTPUTF8=True, data_size_limit=10 * 1024 * 1024)
        if ctx and not args.implicit_tls:
            kwargs["tls_context"] = ctx
            kwargs["require_starttls"] = args.require_starttls
        if authenticator:
            kwargs["authenticator"] = authenticator
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = not args.implicit_tls and ctx is not None
        else:
            kwargs["auth_require_tls"] = False
        return SMTP(handler, **kwargs)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, args.host, args.port,
                                      ssl=ctx if args.implicit_tls else None)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    handler.log.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2525)
    p.add_argument("--maildir", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--auth", help="USER:PASSWORD required to send")
    p.add_argument("--reject-rcpt", help="regex: refuse matching recipients with 550")
    p.add_argument("--tempfail-rcpt", help="regex: refuse matching recipients once with 451")
    args = p.parse_args()
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("smtp_sink: listens on the loopback interface only")
    asyncio.run(main(args))
