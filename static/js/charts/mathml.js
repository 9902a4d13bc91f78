// Native MathML built as DOM nodes (the chain-rule cards write their formulas with these): no TeX on the page.

const MATHML = "http://www.w3.org/1998/Math/MathML";

/** <tag> with children: nodes as they are, strings as text. */
export function m(tag, ...children) {
  const el = document.createElementNS(MATHML, tag);
  for (const c of children.flat()) el.append(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
}
export const mi = (s) => m("mi", s);
export const mo = (s) => m("mo", s);
export const mn = (s) => m("mn", s);

/** base_index: a string base is an identifier; an index of digits (or a number) is a number, "t" or "hh" a name. */
export function sub(base, index) {
  const low = typeof index === "number" || /^\d+$/.test(index) ? mn(String(index)) : typeof index === "string" ? mi(index) : index;
  return m("msub", typeof base === "string" ? mi(base) : base, low);
}
export const frac = (a, b) => m("mfrac", m("mrow", ...a), m("mrow", ...b));
/** ∂L/∂(of): the gradient of the loss with respect to `of` (a node). */
export const dL = (of) => frac([mo("∂"), mi("L")], [mo("∂"), of]);

/** A factor of the product (a node or a list of nodes) with its measured value written beneath it (munder),
 * marked when it is the current one. */
export function withValue(top, value, current = false) {
  const below = m("mtext", value);
  below.setAttribute("class", "factor-value");
  const el = m("munder", m("mrow", top), below);
  el.setAttribute("class", current ? "factor current" : "factor");
  el.setAttribute("accentunder", "false");
  return el;
}

/** Show `parts` as one block formula in `box` (its CSS lets a long one scroll inside it). */
export function showFormula(box, parts) {
  const math = m("math", m("mrow", ...parts));
  math.setAttribute("display", "block");
  box.replaceChildren(math);
}
