"""A real SMTP server on loopback for the mail tests (shared/server/tests/mail.rs), built on
aiosmtpd: STARTTLS (or implicit TLS) with the certificate the test made, AUTH PLAIN/LOGIN
checked against a users file read at each login (so a test can change the password while the
server runs), and each message accepted written to its own file in the mail folder.

    smtp_server.py --port P --mode starttls|tls --cert CERT.pem --key KEY.pem \
                   --users USERS --maildir DIR

USERS holds `login:password` lines. A saved message starts with two lines the test reads:
`X-Test-Login: <login>` and `X-Test-Tls: yes|no`, then the message as received. The server
prints `ready` on stdout once it accepts connections, and runs until killed."""
import argparse
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def users(path):
    found = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            login, sep, password = line.rstrip("\r\n").partition(":")
            if sep:
                found[login] = password
    return found


class Authenticator:
    def __init__(self, path):
        self.path = path

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        ok = users(self.path).get(login) == password
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


class Mailbox:
    def __init__(self, maildir):
        self.maildir = maildir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        login = session.auth_data if isinstance(session.auth_data, str) else ""
        tls = "yes" if server.transport.get_extra_info("ssl_object") is not None else "no"
        body = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        name = os.path.join(self.maildir, f"{time.time_ns()}-{self.count}.eml")
        tmp = name + ".tmp"
        with open(tmp, "wb") as f:
            f.write(f"X-Test-Login: {login}\r\nX-Test-Tls: {tls}\r\n".encode())
            f.write(body)
        os.rename(tmp, name)
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["starttls", "tls"], required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--maildir", required=True)
    a = p.parse_args()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(a.cert, a.key)
    common = dict(
        hostname="127.0.0.1",
        port=a.port,
        authenticator=Authenticator(a.users),
        auth_required=True,
    )
    if a.mode == "starttls":
        # No login and no mail before STARTTLS.
        controller = Controller(
            Mailbox(a.maildir),
            tls_context=context,
            require_starttls=True,
            auth_require_tls=True,
            **common,
        )
    else:
        # TLS from the first byte (aiosmtpd does not count it as TLS for AUTH: it is).
        controller = Controller(
            Mailbox(a.maildir), ssl_context=context, auth_require_tls=False, **common
        )
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
