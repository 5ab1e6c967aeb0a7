/* PRO-CTCAE questionnaire: NCI branching (a follow-up question shows only when the previous answer is above 0)
   and answers kept in localStorage until sent (survives a lost connection or a closed tab). The server applies
   the same branching, so the page also works without JavaScript (all questions shown). */
(function () {
  "use strict";
  var form = document.getElementById("questionnaire");
  if (!form) { return; }
  var key = form.getAttribute("data-storage-key");
  var note = document.getElementById("saved-note");
  var items = Array.prototype.slice.call(form.querySelectorAll("fieldset.item"));

  function value(name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? parseInt(checked.value, 10) : null;
  }
  function refresh() {
    var shown = {};
    items.forEach(function (item) {
      var name = item.getAttribute("data-var");
      var parent = item.getAttribute("data-enable-when");
      var visible = !parent || (shown[parent] && (value(parent) || 0) > 0);
      shown[name] = visible;
      item.hidden = !visible;
      item.querySelectorAll("input").forEach(function (input) { input.disabled = !visible; });
    });
  }
  function save() {
    if (!key) { return; }
    var data = { answers: {}, free_text: form.elements.free_text ? form.elements.free_text.value : "",
      submission_key: form.elements.submission_key.value };
    items.forEach(function (item) {
      var name = item.getAttribute("data-var");
      var v = value(name);
      if (v !== null) { data.answers[name] = v; }
    });
    try {
      localStorage.setItem(key, JSON.stringify(data));
      if (note) { note.textContent = "Réponses gardées sur cet appareil."; }
    } catch (e) { /* private mode: nothing kept */ }
  }
  function restore() {
    if (!key) { return; }
    var raw = null;
    try { raw = localStorage.getItem(key); } catch (e) { return; }
    if (!raw) { return; }
    try {
      var data = JSON.parse(raw);
      Object.keys(data.answers || {}).forEach(function (name) {
        var input = form.querySelector('input[name="' + name + '"][value="' + data.answers[name] + '"]');
        if (input) { input.checked = true; }
      });
      if (data.free_text && form.elements.free_text) { form.elements.free_text.value = data.free_text; }
      // the same key on resubmission: answers already received are never counted twice
      if (data.submission_key) { form.elements.submission_key.value = data.submission_key; }
      if (note) { note.textContent = "Vos réponses précédentes ont été retrouvées."; }
    } catch (e) { /* corrupted: start again */ }
  }
  restore();
  refresh();
  form.addEventListener("change", function () { refresh(); save(); });
  form.addEventListener("input", save);
  form.addEventListener("submit", function (event) {
    save();
    if (!navigator.onLine) {
      event.preventDefault();
      if (note) { note.textContent = "Pas de connexion : vos réponses sont gardées. Réessayez quand le réseau revient."; }
    }
  });
})();
