// The help dialog (?) and the viewer link's QR code (q), drawn by the server with segno.

import { $, SEL } from "./dom.js";

function toggle(dialog) {
  if (!dialog) return;
  if (dialog.open) dialog.close();
  else {
    for (const other of document.querySelectorAll("dialog[open]")) other.close();
    dialog.showModal();
  }
}

export const toggleHelp = () => toggle($(SEL.helpDialog));

export function toggleViewerLink(link) {
  const dialog = $(SEL.viewerDialog);
  if (!dialog.open) {
    $(SEL.viewerQr).src = `/qr.svg?u=${encodeURIComponent(link)}`;
    $(SEL.viewerUrl).textContent = link;
  }
  toggle(dialog);
}
