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
