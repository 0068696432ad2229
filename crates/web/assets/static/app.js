// Keyboard shortcuts: "g h" home, "g c" clients, "/" focuses the search box.
// Loaded as a file (the Content-Security-Policy forbids inline scripts).
(function () {
  let pending = null;
  document.addEventListener('keydown', function (e) {
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '/') {
      const box = document.getElementById('global-search');
      if (box && !box.disabled) { e.preventDefault(); box.focus(); }
      return;
    }
    if (pending === 'g') {
      pending = null;
      if (e.key === 'h') window.location.href = '/';
      if (e.key === 'c') window.location.href = '/clients';
      return;
    }
    if (e.key === 'g') { pending = 'g'; setTimeout(function () { pending = null; }, 1200); }
  });
})();
