#!/usr/bin/python3
"""check_mime.py: checks messages kept by smtp_sink.py and describes them.

Usage: check_mime.py MAILDIR [FILE...]   (files relative to MAILDIR; default
all of MAILDIR/new). Prints one JSON object per message:
{"file", "problems": [...], "from", "to", "to_name", "subject",
 "message_id", "date", "headers": {name: count}, "text", "html",
 "links_text": [...], "links_html": [...]}
An empty "problems" list means: parsed by Python's email package without
defects, required headers present once, Date and Message-ID well formed,
7-bit CRLF lines of at most 998 bytes, and (for multipart) a text/plain and
a text/html part in UTF-8.
"""
import email
import email.policy
import email.utils
import json
import os
import re
import sys

REQUIRED = ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version"]
LINK = re.compile(r"https?://[^\s\"'<>]+/e/[A-Za-z0-9_-]+")


def check(path):
    raw = open(path, "rb").read()
    problems = []
    if any(b > 127 for b in raw):
        problems.append("8-bit byte")
    lines = raw.split(b"\r\n")
    if any(b"\n" in line or b"\r" in line for line in lines):
        problems.append("bare CR or LF")
    if any(len(line) > 998 for line in lines):
        problems.append("line longer than 998")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.defects:
        problems.append("defects: " + ", ".join(type(d).__name__ for d in msg.defects))
    counts = {}
    for name in msg.keys():
        counts[name] = counts.get(name, 0) + 1
    for name in REQUIRED:
        if counts.get(name, 0) != 1:
            problems.append(f"header {name} appears {counts.get(name, 0)} times")
    try:
        date = email.utils.parsedate_to_datetime(str(msg["Date"]))
        date = date.isoformat()
    except Exception:  # noqa: BLE001
        date = None
        problems.append("bad Date")
    mid = str(msg.get("Message-ID", ""))
    if not re.fullmatch(r"<[A-Za-z0-9._-]+@[A-Za-z0-9.-]+>", mid):
        problems.append("bad Message-ID")
    text = html = None
    for part in msg.walk():
        if part.defects:
            problems.append("part defects: " + ", ".join(type(d).__name__ for d in part.defects))
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if part.get_content_charset() != "utf-8":
            problems.append(f"{ctype} not utf-8")
        try:
            body = part.get_payload(decode=True).decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{ctype} is not valid UTF-8")
            continue
        if ctype == "text/plain" and text is None:
            text = body
        elif ctype == "text/html" and html is None:
            html = body
    if msg.is_multipart() and (text is None or html is None or msg.get_content_type() != "multipart/alternative"):
        problems.append("not multipart/alternative with text and html")
    if text is None:
        problems.append("no text part")
    to = msg["To"]
    addr = to.addresses[0] if to and to.addresses else None
    return {
        "file": os.path.relpath(path, sys.argv[1]),
        "problems": problems,
        "from": str(msg["From"]),
        "to": addr.addr_spec if addr else None,
        "to_name": addr.display_name if addr else None,
        "subject": str(msg["Subject"]),
        "message_id": mid,
        "date": date,
        "headers": counts,
        "text": text,
        "html": html,
        "links_text": LINK.findall(text or ""),
        "links_html": re.findall(r'href="([^"]+/e/[A-Za-z0-9_-]+)"', html or ""),
    }


def main():
    root = sys.argv[1]
    files = sys.argv[2:] or [os.path.join("new", f) for f in sorted(os.listdir(os.path.join(root, "new")))]
    out = sys.stdout
    for f in files:
        out.write(json.dumps(check(os.path.join(root, f)), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
