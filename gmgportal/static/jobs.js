// Job page: follow the job's progress without reloading. Without this file the page refreshes itself.
(function () {
  "use strict";

  var LABELS = { queued: "Queued", running: "Running", done: "Done", failed: "Failed", cancelled: "Cancelled" };

  function follow(panel) {
    var url = panel.getAttribute("data-job-status-url");
    var bar = panel.querySelector("progress");
    var percentText = panel.querySelector("[data-job-percent]");
    var message = panel.querySelector("#job-message");
    var tag = panel.querySelector("[data-job-tag] .tag");
    var state = panel.getAttribute("data-job-state");
    var announcedBucket = -1;
    var delay = 700;
    var failures = 0;

    function showFor(current) {
      panel.querySelectorAll("[data-job-when]").forEach(function (el) {
        var states = el.getAttribute("data-job-when").split(" ");
        el.hidden = states.indexOf(current) === -1;
      });
      var hint = panel.querySelector("[data-job-hint]");
      if (hint) { hint.hidden = current !== "queued" && current !== "running"; }
    }

    function setText(selector, text) {
      var el = panel.querySelector(selector);
      if (el) { el.textContent = text; }
      return el;
    }

    function setDetail(selector, text) {
      var el = document.querySelector(selector);
      if (el && text) { el.textContent = text; }
    }

    function announce(text) {
      // The live region speaks when its text changes: every 10%, and when the state changes.
      if (message.textContent !== text) { message.textContent = text; }
    }

    function render(status) {
      bar.value = status.percent;
      bar.textContent = status.percent + "%";
      percentText.textContent = status.percent + "%";
      if (tag) {
        tag.className = "tag tag-" + status.state;
        tag.textContent = status.state_label || LABELS[status.state] || status.state;
      }
      var bucket = Math.floor(status.percent / 10);
      var stateChanged = status.state !== state;
      if (stateChanged && status.state === "done") {
        announce("Done. " + (status.result ? status.result.name + " is ready to download." : status.message));
      } else if (stateChanged && status.state === "failed") {
        announce("The job failed. " + status.error);
      } else if (stateChanged && status.state === "cancelled") {
        announce("The job was cancelled.");
      } else if (stateChanged || bucket !== announcedBucket) {
        announce(status.message || LABELS[status.state]);
      }
      announcedBucket = bucket;
      if (status.state === "done") {
        var result = panel.querySelector("[data-job-result]");
        if (result) { result.hidden = !status.result; }
        var resultHint = panel.querySelector("[data-job-result-hint]");
        if (resultHint && !status.result) { resultHint.textContent = resultHint.getAttribute("data-no-file"); }
        if (status.result) {
          setText("[data-job-result-name]", status.result.name);
          setText("[data-job-result-size]", status.result.size_text);
        }
      }
      setDetail("[data-job-started]", status.started_text);
      setDetail("[data-job-finished]", status.finished_text);
      setText("[data-job-error]", status.error || "");
      if (stateChanged) { showFor(status.state); }
      state = status.state;
      panel.setAttribute("data-job-state", state);
    }

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(function (status) {
          failures = 0;
          render(status);
          if (!status.finished) { window.setTimeout(poll, delay); }
        })
        .catch(function () {
          failures += 1;  // the server restarting, a slow connection: try again, more slowly
          window.setTimeout(poll, Math.min(10000, delay * Math.pow(2, failures)));
        });
    }

    if (state === "queued" || state === "running") { window.setTimeout(poll, delay); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-job-status-url]").forEach(follow);
  });
})();
