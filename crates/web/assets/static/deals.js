// The deal board: drag a card to another stage. Moves through PATCH /api/v1/deals/{id} with the
// session cookie (same origin); a move the server refuses (e.g. "lost" needs a reason) opens
// the deal page, where the form asks for what is missing.
(function () {
  "use strict";
  function init() {
    var board = document.querySelector("[data-testid=deal-board]");
    if (!board || board.dataset.ready) return;
    board.dataset.ready = "1";
    var msg = document.getElementById("deals-msg");
    var dragged = null;
    board.addEventListener("dragstart", function (e) {
      var card = e.target.closest && e.target.closest(".deal-card");
      if (!card) return;
      dragged = card;
      card.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.dataset.id);
    });
    board.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      board.querySelectorAll(".bcol.over").forEach(function (c) { c.classList.remove("over"); });
    });
    board.addEventListener("dragover", function (e) {
      var col = e.target.closest && e.target.closest(".bcol");
      if (!col || !dragged) return;
      e.preventDefault();
      board.querySelectorAll(".bcol.over").forEach(function (c) { if (c !== col) c.classList.remove("over"); });
      col.classList.add("over");
    });
    board.addEventListener("drop", function (e) {
      var col = e.target.closest && e.target.closest(".bcol");
      if (!col || !dragged) return;
      e.preventDefault();
      col.classList.remove("over");
      var card = dragged;
      var stage = col.dataset.stage;
      if (card.closest(".bcol") === col) return;
      if (stage === "lost") {
        window.location = "/deals/" + card.dataset.id + "#lost";
        return;
      }
      var from = card.parentNode;
      col.querySelector(".bcards").prepend(card);
      fetch("/api/v1/deals/" + card.dataset.id, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept-Language": document.documentElement.lang },
        body: JSON.stringify({ version: Number(card.dataset.version), stage: stage })
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (res) {
        if (res.ok) {
          card.dataset.version = res.body.version;
          if (msg) msg.hidden = true;
        } else {
          from.prepend(card);
          if (msg) { msg.textContent = res.body.error ? res.body.error.message : "Error"; msg.hidden = false; }
        }
      }).catch(function () { from.prepend(card); });
    });
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
  init();
})();
