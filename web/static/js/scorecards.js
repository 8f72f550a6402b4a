// 绩效考核 charts (web/scorecards.py): the monthly trend, open cases by light, ratings by
// level and the score ranking, drawn by ECharts from the JSON the page carries.
(function () {
  "use strict";
  var source = document.getElementById("scorecard-charts");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var texts = data.texts;
  var lightColours = { green: "#2e7d32", yellow: "#f9a825", red: "#c62828" };
  var openCases = data.lights.reduce(function (sum, l) { return sum + l.value; }, 0);
  var options = {
    trend: {
      title: { text: texts.trend },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      xAxis: { type: "category", data: data.trend.map(function (m) { return m.month; }) },
      yAxis: [{ type: "value" }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: texts.finished, type: "bar", data: data.trend.map(function (m) { return m.finished; }) },
        {
          name: texts.on_time_rate,
          type: "line",
          yAxisIndex: 1,
          data: data.trend.map(function (m) {
            return m.on_time_rate === null ? null : Math.round(m.on_time_rate * 1000) / 10;
          })
        }
      ]
    },
    lights: {
      title: { text: texts.lights, subtext: openCases ? "" : texts.no_open_cases },
      tooltip: { trigger: "item" },
      series: [{
        type: "pie",
        radius: ["35%", "60%"],
        // the count beside each light, never cut to "…" on the larger 大屏 type
        label: { formatter: "{b} {c}", overflow: "none" },
        // no open case: no ring at all (ECharts would draw three equal thirds of nothing)
        data: !openCases ? [] : data.lights.map(function (l) {
          return { name: l.name, value: l.value, itemStyle: { color: lightColours[l.key] } };
        })
      }]
    },
    levels: {
      title: { text: texts.levels },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.levels.map(function (l) { return l.name; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: data.levels.map(function (l) { return l.value; }) }]
    },
    ranking: {
      title: {
        text: texts.ranking,
        subtext: data.ranking.length ? "" : texts.no_ranking
      },
      tooltip: { trigger: "axis" },
      grid: { left: 120 },
      // nothing scored: the title says so, and no bare axis stands under it
      xAxis: { type: "value", show: data.ranking.length > 0 },
      yAxis: {
        type: "category",
        inverse: true,
        show: data.ranking.length > 0,
        data: data.ranking.map(function (r) { return r.name; })
      },
      series: [{ type: "bar", data: data.ranking.map(function (r) { return r.score; }) }]
    }
  };
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var chart = window.echarts.init(element);
    chart.setOption(options[element.getAttribute("data-chart")]);
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
