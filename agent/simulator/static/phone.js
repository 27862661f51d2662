"use strict";
// The simulated phone: lists linked devices (refreshed every second), links, logs out.
const list = document.getElementById("devices");
const message = document.getElementById("message");

async function call(method, path, body) {
  const response = await fetch(path, { method, headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error);
  return data;
}

function row(device) {
  const item = document.createElement("li");
  item.dataset.deviceId = device.id;
  const details = document.createElement("div");
  details.className = "details";
  const title = document.createElement("div");
  title.className = "title";
  title.textContent = `${device.browser} (${device.os})`;
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = `Last active ${device.last_active} · ${device.location} · linked ${device.linked_at}`;
  details.append(title, meta);
  const logout = document.createElement("button");
  logout.type = "button";
  logout.textContent = "Log out";
  logout.onclick = () => act(() => call("POST", `/api/phone/devices/${device.id}/logout`),
    `Device ${device.id} logged out.`);
  item.append(details, logout);
  return item;
}

async function refresh() {
  try {
    const { devices } = await call("GET", "/api/phone/devices");
    list.replaceChildren(...devices.map(row));
    document.getElementById("count").textContent = `(${devices.length})`;
  } catch (error) {
    message.textContent = String(error.message || error);
  }
}

async function act(action, done) {
  try {
    await action();
    message.textContent = done;
  } catch (error) {
    message.textContent = String(error.message || error);
  }
  refresh();
}

document.getElementById("link-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("ref");
  act(() => call("POST", "/api/phone/link", { ref: input.value.trim() }), "Device linked.")
    .then(() => { input.value = ""; });
});
document.getElementById("logout-all").onclick = () =>
  act(() => call("POST", "/api/phone/logout-all"), "All devices logged out.");
refresh();
setInterval(refresh, 1000);
