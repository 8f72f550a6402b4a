// 过程挖掘 overlays (web/scorecards.py mining): draws the item's BPMN with bpmn-js and puts each
// step's average waiting and handling time (working days) beside it; the bottleneck is marked.
(function () {
  "use strict";
  var container = document.querySelector(".step-times-diagram");
  var source = document.getElementById("step-times");
  if (!container || !source || typeof window.BpmnJS !== "function") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var texts = data.texts;
  var viewer = new window.BpmnJS({ container: container });
  container.setAttribute("data-state", "loading");
  fetch(container.getAttribute("data-xml-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var registry = viewer.get("elementRegistry");
      var overlays = viewer.get("overlays");
      var canvas = viewer.get("canvas");
      data.steps.forEach(function (step) {
        if (!registry.get(step.element_id)) {
          return;
        }
        var note = document.createElement("div");
        note.className = "ow-step-time";
        note.textContent = texts.waiting + " " + step.avg_waiting_working_days + " · " +
          texts.handling + " " + step.avg_handling_working_days + " " + texts.days;
        overlays.add(step.element_id, { position: { bottom: -4, left: 0 }, html: note });
      });
      if (data.bottleneck && registry.get(data.bottleneck)) {
        canvas.addMarker(data.bottleneck, "ow-bottleneck");
      }
      canvas.zoom("fit-viewport");
      container.setAttribute("data-state", "loaded");
    })
    .catch(function (err) {
      container.setAttribute("data-state", "error");
      if (window.console) {
        window.console.error("step-times:", err);
      }
    });
})();
