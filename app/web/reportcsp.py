"""The Content-Security-Policy of a single-file HTML report: its own inline scripts, by hash, and nothing else.

The app's policy allows scripts from the server only ('self'); a report carries Plotly and its drawing code
inline so that it also opens from disk. Served by the dashboard, it gets this policy instead: the sha256 of each
of its inline scripts (CSP level 2), so the report draws and no other inline script could run.
"""

import base64
import hashlib
import re

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def script_hashes(html: str) -> list[str]:
    """'sha256-…' of each inline executable script (a type=application/json data block runs nothing)."""
    out = []
    for attrs, body in _INLINE_SCRIPT.findall(html):
        if "application/json" in attrs:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        out.append(f"'sha256-{digest}'")
    return out


def report_csp(html: str) -> str:
    """No network at all (a report needs none), the report's own scripts, inline styles for Plotly."""
    scripts = " ".join(script_hashes(html)) or "'none'"
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'none'"
    )
