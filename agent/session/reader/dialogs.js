// Dialogs first: they sit above every screen and intercept clicks.
const dialogs = all('[role="dialog"], [role="alertdialog"], [aria-modal="true"], [data-animate-modal-popup], dialog[open]');
const dialog = dialogs.find((element) => !dialogs.some((other) => other !== element && other.contains(element))) || null;
if (dialog) {
  const inner = all("*", dialog).filter(isTarget);
  const buttons = inner.filter((button) => !inner.some((other) => other !== button && other.contains(button)));
  const named = buttons.map((button) => ({ button, name: nameOf(button) }));
  const remembered = arg.logoutText ? fold(arg.logoutText) : null;
  const isLogoutButton = ({ name }) =>
    matches("logout", name, client.logout ? [client.logout] : []).length > 0 ||
    (remembered && (name === remembered || containsWord(name, remembered)));
  const dialogText = fold(dialog.innerText);
  const isConfirm =
    dialog.matches('[data-testid="confirm-popup"]') ||
    Boolean(dialog.querySelector('[data-testid="popup-controls-ok"]')) ||
    has("confirm_title", dialogText) ||
    named.some(isLogoutButton) ||
    arg.expectConfirm;
  if (isConfirm) {
    const others = named.filter(
      ({ button, name }) =>
        !button.matches('[data-testid="popup-controls-cancel"], [data-testid="popup-controls-extra"]') &&
        !has("cancel", name) && !has("lock_app", name) && !iconIs("close", button) &&
        !(isDecoy(name) && !isLogoutButton({ name })),
    );
    let confirm = null;
    let how = "";
    const byId = others.find(({ button }) => button.matches('[data-testid="popup-controls-ok"]'));
    const byWords = others.filter(isLogoutButton);
    const red = others.filter(({ button }) => destructive(button));
    if (byId) [confirm, how] = [byId.button, "id"];
    else if (byWords.length === 1) [confirm, how] = [byWords[0].button, "words"];
    else if (byWords.length > 1 && byWords.filter(({ button }) => destructive(button)).length === 1) {
      [confirm, how] = [byWords.find(({ button }) => destructive(button)).button, "words+destructive"];
    } else if (red.length === 1) [confirm, how] = [red[0].button, "destructive"];
    else if (others.length === 1 && arg.expectConfirm) [confirm, how] = [others[0].button, "structure:only"];
    else if (others.length > 1 && arg.expectConfirm && !byWords.length && !red.length) {
      [confirm, how] = [others[others.length - 1].button, "structure:last"];
    }
    if (!confirm) result.ambiguity = `confirm: ${others.length} buttons, none singled out`;
    result.dialog = { kind: "confirm", confirm: confirm ? mark(confirm, "confirm") : null, how };
  } else {
    // A modal's dismiss control is singled out by evidence, never by position: close/OK
    // words, a close icon, the dialog's only button, the one primary-styled button. A button
    // that reads like a way elsewhere ("Learn more", "Update") or a destructive one never is.
    const safe = named.filter(({ name }) => !isDecoy(name) && !has("not_dismiss", name));
    const filled = (button) => {
      if (destructive(button)) return false;
      const colour = rgb(getComputedStyle(button).backgroundColor);
      // a coloured fill (the client's green), not a grey or white default
      return Boolean(colour) && Math.max(...colour) - Math.min(...colour) > 40;
    };
    const byWords = safe.filter(({ name }) => has("close", name));
    const byIcon = safe.filter(({ button }) => iconIs("close", button));
    const primary = named.filter(({ button }) => filled(button));
    let close = null;
    let how = "";
    // several buttons that all read as dismiss ("x" Close and OK): each closes it; prefer
    // the one whose icon agrees, else the first
    const wordsAndIcon = byWords.filter(({ button }) => iconIs("close", button));
    if (byWords.length === 1) [close, how] = [byWords[0].button, "words"];
    else if (wordsAndIcon.length >= 1) [close, how] = [wordsAndIcon[0].button, "words+icon"];
    else if (byWords.length > 1) [close, how] = [byWords[0].button, "words"];
    else if (byIcon.length === 1) [close, how] = [byIcon[0].button, "icon"];
    else if (named.length === 1 && safe.length === 1) [close, how] = [safe[0].button, "structure:only"];
    else if (primary.length === 1 && safe.includes(primary[0])) [close, how] = [primary[0].button, "primary"];
    if (!close) result.ambiguity = `modal: ${named.length} buttons, no dismiss singled out`;
    result.dialog = { kind: "modal", dismiss: close ? mark(close, "dismiss") : null, how };
  }
}
const inDialog = (element) => dialogs.some((d) => d.contains(element));
