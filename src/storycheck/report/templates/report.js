// storycheck report: paging of long lists, and the verify box when the page is served live.
// Story text never reaches this script as code: it reads a JSON data block and writes text
// with textContent only. Without script, every list shows in full and the page still reads.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);

  // Long lists show a page at a time; a link to an item on a later page reveals it.
  function page(list) {
    var size = parseInt(list.getAttribute("data-page"), 10);
    var items = Array.prototype.slice.call(list.children);
    if (!(size > 0) || items.length <= size) return;
    items.slice(size).forEach(function (item) { item.hidden = true; });
    var more = document.createElement("button");
    more.type = "button";
    more.className = "more";
    function label() {
      var hidden = items.filter(function (item) { return item.hidden; }).length;
      more.textContent = "Show " + Math.min(size, hidden) + " more (" + hidden + " not shown)";
      more.hidden = hidden === 0;
    }
    more.addEventListener("click", function () {
      items.filter(function (item) { return item.hidden; }).slice(0, size)
        .forEach(function (item) { item.hidden = false; });
      label();
    });
    label();
    list.parentNode.insertBefore(more, list.nextSibling);
    list.storycheckRelabel = label;
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-page]"), page);

  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    var shown = false;
    for (var node = target; node && node !== document.body; node = node.parentNode) {
      if (node.hidden) { node.hidden = false; shown = true; }
      if (shown && node.storycheckRelabel) node.storycheckRelabel();
    }
    if (shown) target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  reveal();

  // The verify box (live pages only): POST the claim, show the verdict and its evidence.
  var form = document.getElementById("verify-form");
  if (!form || !data.verify_api) return;
  var result = document.getElementById("verify-result");
  var docs = data.documents;

  function add(parent, tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    parent.appendChild(node);
    return node;
  }

  function show(verdict) {
    result.textContent = "";
    var head = add(result, "p", null, "verdict verdict-" + verdict.verdict);
    add(head, "strong", verdict.verdict.replace(/_/g, " "));
    add(head, "span", " · confidence " + Number(verdict.confidence).toFixed(2) + " · " +
      verdict.independent_sources + " independent source" +
      (verdict.independent_sources === 1 ? "" : "s"));
    var evidence = verdict.evidence || [];
    if (!evidence.length) { add(result, "p", "No sentence of the story bears on it."); return; }
    var list = add(result, "ol", null, "evidence");
    evidence.forEach(function (item) {
      var li = add(list, "li", null, "stance-" + item.stance);
      add(li, "span", item.stance, "stance");
      li.appendChild(document.createTextNode(" "));
      var doc = Object.prototype.hasOwnProperty.call(docs, item.document) ? docs[item.document] : null;
      if (doc) {
        var link = add(li, "a", doc.title);
        link.href = "#" + doc.anchor + "-s" + item.sentence;
      } else {
        add(li, "span", item.document, "muted");
      }
      li.appendChild(document.createTextNode(": "));
      add(li, "q", item.text);
      if (item.reasons && item.reasons.length) add(li, "span", " (" + item.reasons.join("; ") + ")", "muted");
    });
  }

  // An error response's words: FastAPI's {"detail": ...} where there is one (a string, or a
  // list of validation errors), else the HTTP status, e.g. from a proxy's HTML error page.
  function failure(response, body) {
    var detail = body && body.detail !== undefined ? body.detail : response.statusText;
    if (typeof detail !== "string") detail = JSON.stringify(detail);
    return "HTTP " + response.status + (detail ? ": " + detail : "");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var claim = document.getElementById("verify-claim").value.trim();
    if (!claim) return;
    var button = form.querySelector("[type=submit]");
    button.disabled = true;
    result.textContent = "Checking…";
    fetch(data.verify_api, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ claim: claim })
    }).then(function (response) {
      return response.text().then(function (raw) {
        var body = null;
        try { body = JSON.parse(raw); } catch (notJson) { body = null; }
        if (!response.ok || !body) throw new Error(failure(response, body));
        show(body);
      });
    }).catch(function (error) {
      result.textContent = "Could not verify: " + error.message;
    }).then(function () { button.disabled = false; });
  });
})();
