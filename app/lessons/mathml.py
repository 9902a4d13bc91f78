"""A formula written as LaTeX, rendered to MathML by latex2mathml (the browser draws MathML natively)."""

from functools import lru_cache

from latex2mathml.converter import convert


class FormulaError(ValueError):
    """The LaTeX could not be converted; the message quotes what latex2mathml said."""


@lru_cache(maxsize=512)
def to_mathml(latex: str, display: bool = True) -> str:
    """'<math ...>...</math>' for one LaTeX formula; every character of the input reaches the output escaped."""
    try:
        return convert(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own error types and plain ones on malformed input
        raise FormulaError(f"cannot render this LaTeX ({type(exc).__name__}: {exc})") from exc
