// ferry serve: live updates for a page that works without this script.
// The server says over Server-Sent Events when anything shown changed; the
// board is then fetched again as server-rendered HTML and swapped in. Open
// <details> stay open. Without EventSource, it polls every 5 seconds.
(function () {
  "use strict";
  var board = document.getElementById("board");
  var live = document.getElementById("live");
  if (!board) { return; }
  var busy = false;

  function openDetails() {
    var open = [];
    board.querySelectorAll("details[open]").forEach(function (d, i) { open.push(i); });
    return open;
  }

  function refresh() {
    if (busy) { return; }
    busy = true;
    var open = openDetails();
    fetch("/?fragment=board", { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (html) {
        board.innerHTML = html;
        var all = board.querySelectorAll("details");
        open.forEach(function (i) { if (all[i]) { all[i].open = true; } });
        if (live) { live.textContent = "Updated " + new Date().toLocaleTimeString(); }
      })
      .catch(function () { if (live) { live.textContent = "Update failed; retrying"; } })
      .then(function () { busy = false; });
  }

  if (window.EventSource) {
    var es = new EventSource("/api/events");
    es.addEventListener("update", refresh);
  } else {
    window.setInterval(refresh, 5000);
  }
})();
