"""A formula written as LaTeX, rendered to MathML by latex2mathml (the browser draws MathML natively)."""

import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert

NS = "http://www.w3.org/1998/Math/MathML"
PRIMES = {"′", "″", "‴"}
ET.register_namespace("", NS)


class FormulaError(ValueError):
    """The LaTeX could not be converted; the message quotes what latex2mathml said."""


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _inline_primes(root: ET.Element) -> None:
    """a^\\prime as a′ beside its base, not a superscript: the prime glyph is already raised, and browsers set a
    superscripted one far above the letter. <msup>B ′</msup> -> B <mo>′</mo>; <msubsup>B k ′</msubsup> -> B_k ′."""
    for parent in root.iter():
        for i, el in reversed(list(enumerate(parent))):  # from the end: an insert shifts what follows
            if el.tag not in (_q("msup"), _q("msubsup")) or len(el) < 2:
                continue
            last = el[-1]
            if (last.text or "").strip() not in PRIMES or len(last):
                continue
            prime = ET.Element(_q("mo"))
            prime.text = (last.text or "").strip()
            prime.tail = el.tail
            if el.tag == _q("msup"):
                base = el[0]
                base.tail = None
            else:
                base = ET.Element(_q("msub"))
                base.extend([el[0], el[1]])
            parent.remove(el)
            parent.insert(i, base)
            parent.insert(i + 1, prime)


@lru_cache(maxsize=512)
def to_mathml(latex: str, display: bool = True) -> str:
    """'<math ...>...</math>' for one LaTeX formula; every character of the input reaches the output escaped."""
    try:
        out = convert(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own error types and plain ones on malformed input
        raise FormulaError(f"cannot render this LaTeX ({type(exc).__name__}: {exc})") from exc
    root = ET.fromstring(out)
    _inline_primes(root)
    return ET.tostring(root, encoding="unicode")
