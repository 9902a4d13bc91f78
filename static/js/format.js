// Numbers as people read them: 3.1×10⁻⁹ rather than 3.1e-9.

const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** Scientific notation with a superscript exponent; plain digits between 0.01 and 1000. */
export function sci(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const ax = Math.abs(x);
  if (ax >= 0.01 && ax < 1000) return String(Number(x.toPrecision(digits)));
  const exp = Math.floor(Math.log10(ax));
  const mant = Number((x / 10 ** exp).toPrecision(digits));
  const power = `10${String(exp).replace(/./g, (c) => SUP[c])}`;
  return mant === 1 ? power : `${mant}×${power}`;
}
