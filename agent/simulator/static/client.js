"use strict";
// The client's own modules, as automation reaches them in the real client: a global
// require(name). Present when config.client_api is true (installClientApi, from app.js).
//   require("WAWebSocketModel").Socket   .state (see setSocketState), .logout()
//   require("WAWebCmd").Cmd              on / off / once; emits "logout" once the logout has run
//   require("WAWebConnModel").Conn       .ref: the QR token shown now, null when linked
//   require("WAWebSettingsFBT")          .logoutTitle(): the Log out title, an FBT-like object
const SimClient = (() => {
  const listeners = new Map();
  const Cmd = {
    on(event, handler) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(handler);
      return Cmd;
    },
    off(event, handler) {
      const list = listeners.get(event) || [];
      const index = list.indexOf(handler);
      if (index >= 0) list.splice(index, 1);
      return Cmd;
    },
    once(event, handler) {
      const wrapper = (...args) => { Cmd.off(event, wrapper); handler(...args); };
      return Cmd.on(event, wrapper);
    },
    // What the client itself calls; a listener that throws does not stop the others.
    trigger(event, ...args) {
      for (const handler of [...(listeners.get(event) || [])]) {
        try { handler(...args); } catch (error) { console.error(error); }
      }
    },
  };
  // OPENING (startup), UNPAIRED_IDLE (QR screen, no token yet), UNPAIRED (QR shown), PAIRING
  // (the phone linked this page, the session is being stored), CONNECTED (chats), CONFLICT
  // (conflict screen), UNLAUNCHED (another-session screen, and the error screen),
  // LOGGING_OUT (the logout runs).
  const Socket = {
    state: "OPENING",
    logout: () => logout(),
  };
  const Conn = { ref: null };
  // The real module returns an FBT result, not a string: text through toString().
  class FbtResult {
    constructor(text) { this._contents = [text]; }
    toString() { return this._contents.join(""); }
    toJSON() { return this.toString(); }
  }
  const modules = {
    WAWebSocketModel: { Socket },
    WAWebCmd: { Cmd },
    WAWebConnModel: { Conn },
    WAWebSettingsFBT: { logoutTitle: () => new FbtResult(t("log_out")) },
  };
  function require(name) {
    if (!Object.prototype.hasOwnProperty.call(modules, name)) {
      throw new Error(`Requiring unknown module "${name}"`);
    }
    return modules[name];
  }
  return { Socket, Cmd, Conn, require };
})();

function setSocketState(value) {
  SimClient.Socket.state = value;
}

function installClientApi(enabled) {
  if (enabled) window.require = SimClient.require;
  else delete window.require;
}
