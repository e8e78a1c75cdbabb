() => {
  // [n] in an answer is a link to source card n of that answer (#kb-src-<turn>-<n>). Gradio's chat opens
  // links in a new tab, so the click is handled here: scroll to the card and flash it. A card of an older
  // answer is not on the page: ask the app to show that answer's sources, then scroll when it appears.
  if (window.__kbMarkers) return;
  window.__kbMarkers = true;
  const flash = (el) => {
    el.scrollIntoView({block: 'center', behavior: 'smooth'});
    el.classList.add('kb-flash');
    setTimeout(() => el.classList.remove('kb-flash'), 1600);
  };
  const requestTurn = (turn) => {
    const box = document.querySelector('#kb-turn-request textarea, #kb-turn-request input');
    if (!box) return;
    box.value = turn + ':' + Date.now();
    box.dispatchEvent(new Event('input', {bubbles: true}));
    box.dispatchEvent(new Event('change', {bubbles: true}));
  };
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a.kb-marker');
    if (!a) return;
    e.preventDefault();
    e.stopPropagation();
    const id = (a.getAttribute('href') || '').replace(/^#/, '');
    const el = document.getElementById(id);
    if (el) { flash(el); return; }
    const m = id.match(/^kb-src-(\d+)-\d+$/);  // (the chat's sanitizer drops data- attributes)
    const turn = m && m[1];
    if (turn) requestTurn(turn);
    let tries = 40;
    const wait = () => {
      const found = document.getElementById(id);
      if (found) { flash(found); } else if (tries-- > 0) { setTimeout(wait, 150); }
    };
    setTimeout(wait, 150);
  }, true);
}
