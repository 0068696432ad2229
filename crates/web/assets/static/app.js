// Keyboard shortcuts: "g h" home, "g p" contact plan, "g c" clients, "g d" duplicates, "/" focuses
// the search box, "e" opens a client card's edit form, "n" goes to the form that plans an activity,
// and a link marked data-key="x" follows key x (the week view's "[", "]", "t").
// Small enhancements of server-rendered forms.
// Loaded as a file (the Content-Security-Policy forbids inline scripts).
(function () {
  let pending = null;

  // Opens a <details> section and puts the cursor in its first field.
  function openSection(id) {
    const d = document.getElementById(id);
    if (!d) return false;
    d.open = true;
    d.scrollIntoView({ block: 'start' });
    const first = d.querySelector('input:not([type=hidden]), select, textarea');
    if (first) first.focus();
    return true;
  }

  // Duplicate groups: the row chosen to keep cannot be merged into itself.
  function syncMergeForm(form) {
    const kept = form.querySelector('input[name=survivor]:checked');
    form.querySelectorAll('tbody tr').forEach(function (row) {
      const radio = row.querySelector('input[name=survivor]');
      const button = row.querySelector('button.merge');
      const isKept = !!kept && radio === kept;
      row.classList.toggle('kept', isKept);
      if (button) button.disabled = isKept;
    });
  }

  function init(root, page) {
    root.querySelectorAll('form.merge-form').forEach(syncMergeForm);
    if (page && window.location.hash === '#edit') openSection('edit');
  }

  document.addEventListener('change', function (e) {
    const form = e.target && e.target.closest && e.target.closest('form.merge-form');
    if (form && e.target.name === 'survivor') syncMergeForm(form);
  });

  document.addEventListener('click', function (e) {
    const link = e.target && e.target.closest && e.target.closest('[data-open]');
    if (link && openSection(link.getAttribute('data-open'))) e.preventDefault();
  });

  document.addEventListener('DOMContentLoaded', function () { init(document, true); });
  // htmx announces every swapped-in fragment (a boosted page arrives as the whole body).
  document.addEventListener('htmx:load', function (e) { init(e.target, e.target === document.body); });

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
      if (e.key === 'p') window.location.href = '/plan';
      if (e.key === 'c') window.location.href = '/clients';
      if (e.key === 'd') window.location.href = '/clients/duplicates';
      return;
    }
    if (e.key === 'e' && openSection('edit')) { e.preventDefault(); return; }
    if (e.key === 'n') {
      const field = document.querySelector('form.plan-form input:not([type=hidden]), form.plan-form select');
      if (field) { e.preventDefault(); field.scrollIntoView({ block: 'center' }); field.focus(); return; }
    }
    const keyed = Array.prototype.find.call(document.querySelectorAll('[data-key]'), function (el) {
      return el.getAttribute('data-key') === e.key;
    });
    if (keyed) { e.preventDefault(); keyed.click(); return; }
    if (e.key === 'g') { pending = 'g'; setTimeout(function () { pending = null; }, 1200); }
  });
})();
