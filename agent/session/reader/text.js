// Reads the client's page in one round trip and marks the controls the agent may click.
// Argument: {labels: {concept: [strings]}, pageLabels: {concept: [strings]}, logoutText,
// expectConfirm, baseline: "take"|"use"}. Returns a plain object (agent/session/pagestate.py).
// Marked elements carry data-kioskguard="<name>" so the agent clicks them with real input; the
// marks and the change counter stay until the agent leaves the page (pagestate.leave_page).
//
// Evidence rules (docs/reader.md): each kind is optional. Structure finds the candidates (what
// appeared after the opener was clicked, an open menu, the dialog that appeared); names (aria-
// label, title, text, nested labels; folded, containment), icons (data-icon, svg <title>), ids
// and destructive colour only choose among them. Decoys (other destructive items) are never
// chosen. When nothing singles out one control the reading says so (ambiguity) instead of
// guessing.
//
// The parts of this directory are one function body, in the order pagestate.READER_PARTS
// gives, wrapped as (arg) => { ...; return result; }: one script, one round trip a reading.
// Words: folding, matching on word bounds, the label tables and the client's own words.
const labels = arg.labels || {};
const pageLabels = arg.pageLabels || {};
const PSEUDO = {
  "ħ": "h", "ŀ": "l", "ł": "l", "ŧ": "t", "ƈ": "c", "ƀ": "b", "đ": "d", "ø": "o", "ı": "i",
  "ɠ": "g", "ƒ": "f", "ɨ": "i", "ȼ": "c", "ɍ": "r", "ɏ": "y", "ȥ": "z", "ß": "ss", "æ": "ae",
  "œ": "oe", "ð": "d", "ʂ": "s", "ƚ": "l", "ɗ": "d", "ɓ": "b", "ƙ": "k", "ƥ": "p",
  "ɲ": "n", "ɱ": "m", "ʋ": "v", "ⱳ": "w", "ɦ": "h", "ɉ": "j", "ŉ": "n", "ĸ": "k", "ŋ": "n",
  "þ": "p",
};
const fold = (text) =>
  String(text || "")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    // every non-ASCII character (the range starts at U+0000 on purpose: nothing is matched there)
    // oxlint-disable-next-line no-control-regex
    .replace(/[^\u0000-\u007f]/g, (ch) => PSEUDO[ch] || ch)
    .replace(/[\s\u00a0\u200b-\u200f\u202a-\u202e]+/g, " ")
    .trim();
// Scripts written without spaces between words: containment without word boundaries.
const unspaced = /[\u0e00-\u0e7f\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]/;
const letter = /[\p{L}\p{N}]/u;
const containsWord = (haystack, needle) => {
  if (!needle || !haystack) return false;
  if (unspaced.test(needle)) return haystack.includes(needle);
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return false;
    const before = haystack[at - 1];
    const after = haystack[at + needle.length];
    if ((!before || !letter.test(before)) && (!after || !letter.test(after))) return true;
    from = at + 1;
  }
};
const foldedCache = {};
const words = (concept) => {
  if (!foldedCache[concept]) {
    foldedCache[concept] = [...new Set((labels[concept] || []).map(fold).filter(Boolean))];
  }
  return foldedCache[concept];
};
const pageWords = new Set(Object.values(pageLabels).flat().map(fold));
// The client's own words, read at run time (optional: any failure just leaves them out).
const client = { logout: null, socket: null };
const require = typeof window.require === "function" ? window.require : null;
if (require) {
  try {
    const strings = require("WAWebSettingsFBT");
    const title = strings && typeof strings.logoutTitle === "function" && strings.logoutTitle();
    if (title !== null && title !== undefined && fold(String(title))) client.logout = fold(String(title));
  } catch { /* module missing or renamed */ }
  try {
    const socket = require("WAWebSocketModel").Socket;
    if (socket && socket.state !== undefined && socket.state !== null) client.socket = String(socket.state);
  } catch { /* module missing or renamed */ }
}
const logoutWords = () => (client.logout ? [client.logout, ...words("logout")] : words("logout"));
// Which words of a concept a folded name holds: [] when none.
const matches = (concept, name, extra) => {
  const list = extra ? [...extra, ...words(concept)] : words(concept);
  return list.filter((needle) => containsWord(name, needle));
};
const has = (concept, name) => matches(concept, name).length > 0;
