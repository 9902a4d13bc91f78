// The keyboard map: one handler per key, never while typing in a form field.

const bindings = new Map(); // event.key -> handler

export function bind(key, handler) {
  bindings.set(key, handler);
}

/** The key does nothing any more (a control that does not apply to this view). */
export function unbind(key) {
  bindings.delete(key);
}

function typing(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName)) &&
    target.type !== "range" &&
    target.type !== "checkbox"
  );
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  const handler = bindings.get(event.key);
  if (!handler) return;
  if (event.key === " " && event.target instanceof HTMLButtonElement) event.target.blur(); // space is ours, not the button's
  event.preventDefault();
  handler(event);
});
