// shared helpers for every replica
window.RT = {
  hasSession() { return !!(localStorage.getItem('last-wid-md') && localStorage.getItem('WANoiseInfo')); },
  keys: ['last-wid-md','WANoiseInfo','WAWebEncKeySalt','WANoiseInfoIv','WALid','WALangPref'],
  async doLogout() {
    try { await fetch('/unpair?t=' + Date.now(), {method: 'POST', body: '{}'}); } catch (e) {}
    for (const k of RT.keys) localStorage.removeItem(k);
    if (window.__cmdEmit) window.__cmdEmit('logout');
    location.replace('/?post_logout=1');
  },
  decoy(name) { fetch('/decoy?name=' + encodeURIComponent(name), {method: 'POST', body: '{}'}); },
  event(name) { fetch('/event?name=' + encodeURIComponent(name), {method: 'POST', body: '{}'}); },
  qr(label) {
    document.querySelector('.mnt').innerHTML =
      '<div class="lw9"><div class="q1"><div data-ref="2@' + Math.random().toString(36).slice(2) +
      '"><canvas width="228" height="228" aria-label="' + label + '" role="img"></canvas></div></div></div>';
  },
  h(html) { const t = document.createElement('template'); t.innerHTML = html.trim(); return t.content.firstElementChild; },
};
// v7+ helpers: unpair bounded at ~3 s like the real client (notes: "bounded: about 3 s; on failure it
// logs out locally anyway"); records nothing itself, the server does.
RT.doLogoutBounded = async function () {
  const ac = new AbortController(); const t = setTimeout(() => ac.abort(), 3000);
  try { await fetch('/unpair?t=' + Date.now(), {method: 'POST', body: '{}', signal: ac.signal}); } catch (e) {}
  clearTimeout(t);
  for (const k of RT.keys) localStorage.removeItem(k);
  if (window.__cmdEmit) window.__cmdEmit('logout');
  location.replace('/?post_logout=1');
};
// css-mask icon (no data-icon, no svg title): only a background mask url names the glyph
RT.mask = (name) => `<span class="mk" style="display:inline-block;width:24px;height:24px;background:currentColor;-webkit-mask:url('/static/${name}.svg') center/24px no-repeat;mask:url('/static/${name}.svg') center/24px no-repeat"></span>`;
