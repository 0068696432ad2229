// The contact plan's enhancements of server-rendered pages (everything also works without it):
// - the week view: drag a planned activity to another day to move it (the time of day stays),
//   saved through PATCH /api/v1/activities/{id} with the session cookie, then the week is
//   re-read from the server;
// - the new-activity form: client suggestions from /api/v1/search;
// - the contact-rules table: add a row; popovers close on Escape or a click elsewhere;
// - "copy" buttons.
// Loaded as a file (the Content-Security-Policy forbids inline scripts).
(function () {
  'use strict';
  let dragged = null;

  function message(text) {
    const box = document.getElementById('plan-msg');
    if (!box) return;
    box.textContent = text || '';
    box.hidden = !text;
  }

  // Re-reads the week (counts, positions, versions) from the server.
  function refreshWeek() {
    const week = document.getElementById('week');
    const url = (week && week.getAttribute('data-url')) || window.location.href;
    if (window.htmx) {
      window.htmx.ajax('GET', url, { target: '#week', select: '#week', swap: 'outerHTML' });
    } else {
      window.location.reload();
    }
  }

  // Puts a card among a day's cards in time order.
  function place(card, day) {
    const list = day.querySelector('.acts');
    if (!list) return;
    const time = card.getAttribute('data-time') || '';
    const after = Array.prototype.find.call(list.children, function (c) {
      return c !== card && (c.getAttribute('data-time') || '') > time;
    });
    list.insertBefore(card, after || null);
  }

  function moveCard(card, day) {
    const id = card.getAttribute('data-id');
    const date = day.getAttribute('data-day');
    const body = {
      version: Number(card.getAttribute('data-version')),
      // The same time of day on the new date, company time (Moscow, UTC+3 all year).
      planned_at: date + 'T' + card.getAttribute('data-time') + ':00+03:00',
    };
    place(card, day);
    card.classList.add('saving');
    fetch('/api/v1/activities/' + encodeURIComponent(id), {
      method: 'PATCH',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    })
      .then(function (res) {
        if (res.ok) {
          message('');
          return;
        }
        return res.json().then(
          function (j) { message((j && j.error && j.error.message) || res.statusText); },
          function () { message(res.status + ' ' + res.statusText); }
        );
      })
      .catch(function (e) { message(String(e)); })
      .then(refreshWeek);
  }

  document.addEventListener('dragstart', function (e) {
    const card = e.target && e.target.closest && e.target.closest('.act-card[draggable=true]');
    if (!card) return;
    // A card with an open form is being edited, not moved.
    if (card.querySelector('details[open]')) { e.preventDefault(); return; }
    dragged = card;
    card.classList.add('dragging');
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', card.getAttribute('data-id'));
  });

  document.addEventListener('dragend', function () {
    if (dragged) dragged.classList.remove('dragging');
    dragged = null;
    document.querySelectorAll('.day.over').forEach(function (d) { d.classList.remove('over'); });
  });

  function dropTarget(e) {
    const day = e.target && e.target.closest && e.target.closest('.day[data-day]');
    return dragged && day && !day.classList.contains('past') ? day : null;
  }

  document.addEventListener('dragover', function (e) {
    const day = dropTarget(e);
    if (!day) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    document.querySelectorAll('.day.over').forEach(function (d) { if (d !== day) d.classList.remove('over'); });
    day.classList.add('over');
  });

  document.addEventListener('drop', function (e) {
    const day = dropTarget(e);
    if (!day) return;
    e.preventDefault();
    const card = dragged;
    day.classList.remove('over');
    if (card.closest('.day') === day) return;
    moveCard(card, day);
  });

  // Client suggestions: the datalist is filled from the search API; picking one fills the
  // hidden id (a typed name is resolved by the server when nothing was picked).
  let timer = null;
  function hiddenId(input) {
    return input.parentElement && input.parentElement.querySelector('input[name=counterparty_id]');
  }
  function pickFromList(input) {
    const list = input.list;
    const hidden = hiddenId(input);
    if (!list || !hidden) return;
    const chosen = Array.prototype.find.call(list.options, function (o) { return o.value === input.value; });
    hidden.value = chosen ? chosen.getAttribute('data-id') : '';
  }
  function suggest(input) {
    const q = input.value.trim();
    const list = input.list;
    if (!list || q.length < 2) return;
    fetch('/api/v1/search?limit=10&q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (res) { return res.ok ? res.json() : { items: [] }; })
      .then(function (page) {
        const hits = (page && page.items) || [];
        const seen = {};
        const names = {};
        list.textContent = '';
        hits.forEach(function (h) {
          if (seen[h.counterparty_id]) return;
          seen[h.counterparty_id] = true;
          const name = h.counterparty_name || h.name;
          const o = document.createElement('option');
          // Two clients of one name are told apart by their INN.
          o.value = names[name] && h.inn ? name + ' · ' + h.inn : name;
          names[name] = true;
          o.label = [h.kind === 'contact' ? h.name : '', h.inn, h.city].filter(Boolean).join(' · ');
          o.setAttribute('data-id', h.counterparty_id);
          list.appendChild(o);
        });
        pickFromList(input);
      })
      .catch(function () { /* suggestions are a convenience */ });
  }
  document.addEventListener('input', function (e) {
    const input = e.target;
    if (!input || !input.matches || !input.matches('input[data-client-search]')) return;
    pickFromList(input);
    clearTimeout(timer);
    timer = setTimeout(function () { suggest(input); }, 200);
  });

  // The rules table: a new blank row, numbered and named after the last one.
  function addRule(button) {
    const body = button.closest('form').querySelector('table.rules tbody');
    const last = body && body.lastElementChild;
    if (!last) return;
    const n = body.children.length;
    const row = last.cloneNode(true);
    row.className = 'blank';
    row.querySelectorAll('[name]').forEach(function (f) {
      f.name = f.name.replace(/^r\d+_/, 'r' + n + '_');
      if (f.type === 'checkbox') f.checked = false; else f.value = '';
    });
    const num = row.querySelector('td');
    if (num) num.textContent = String(n + 1);
    body.appendChild(row);
    const first = row.querySelector('select, input');
    if (first) first.focus();
  }

  function init(root) {
    root.querySelectorAll('[data-add-rule]').forEach(function (b) { b.hidden = false; });
  }

  // A form shown again with an error may sit far down a long week: bring it into view.
  function revealError() {
    const err = document.querySelector('main .error[role=alert]:not([hidden])');
    if (!err) return;
    err.scrollIntoView({ block: 'center' });
    const form = err.closest('form') || (err.previousElementSibling && err.previousElementSibling.closest('form'));
    const field = form && form.querySelector('input:not([type=hidden]), select, textarea');
    if (field) field.focus({ preventScroll: true });
  }

  document.addEventListener('click', function (e) {
    const t = e.target;
    if (!t || !t.closest) return;
    const add = t.closest('[data-add-rule]');
    if (add) { addRule(add); return; }
    const copy = t.closest('[data-copy]');
    if (copy) {
      const field = document.getElementById(copy.getAttribute('data-copy'));
      if (!field) return;
      field.select();
      const done = function () { copy.textContent = copy.getAttribute('data-copied') || 'OK'; };
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand('copy'); done(); });
      else { document.execCommand('copy'); done(); }
      return;
    }
    // A click outside an open popover closes it.
    document.querySelectorAll('details.pop[open]').forEach(function (d) {
      if (!d.contains(t)) d.open = false;
    });
  });

  document.addEventListener('change', function (e) {
    const box = e.target;
    if (box && box.matches && box.matches('table.rules input[type=checkbox][name$=_remove]')) {
      box.closest('tr').classList.toggle('removed', box.checked);
    }
  });

  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    const open = document.querySelectorAll('details.pop[open]');
    open.forEach(function (d) {
      d.open = false;
      const s = d.querySelector('summary');
      if (s && d.contains(document.activeElement)) s.focus();
    });
  });

  // Opening a popover puts the cursor in its first field.
  document.addEventListener('toggle', function (e) {
    const d = e.target;
    if (!d || !d.matches || !d.matches('details.pop') || !d.open) return;
    const first = d.querySelector('.popbox input:not([type=hidden]), .popbox select');
    if (first) first.focus();
  }, true);

  document.addEventListener('DOMContentLoaded', function () { init(document); revealError(); });
  document.addEventListener('htmx:load', function (e) { init(e.target); });
  // After htmx has swapped a whole page in (and scrolled to its top).
  document.addEventListener('htmx:afterSettle', function (e) {
    if (e.target === document.body) setTimeout(revealError, 0);
  });
})();
