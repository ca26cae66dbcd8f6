// The dashboard's charts (Apache ECharts, vendored under static/vendor/echarts). The figures come
// from the page's JSON block; every label is set as data, never as HTML.
"use strict";

(function () {
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  var figures = JSON.parse(source.textContent);
  var PIES = { channels: true, fallback: true, handoff: true, ratings: true };
  var HORIZONTAL = { intents: true, items: true, themes: true };
  var COLORS = ["#c0392b", "#2e86de", "#27ae60", "#f39c12", "#8e44ad", "#16a085", "#7f8c8d", "#d35400"];

  function unique(rows, index) {
    var seen = [];
    rows.forEach(function (row) { if (seen.indexOf(row[index]) < 0) seen.push(row[index]); });
    return seen;
  }

  function pie(figure) {
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c} " + figure.unit + "（{d}%）" },
      legend: { bottom: 0, type: "scroll" },
      series: [{
        name: figure.title, type: "pie", radius: ["30%", "56%"], center: ["50%", "54%"],
        label: { formatter: "{b}\n{d}%" },
        data: figure.rows.map(function (row) { return { name: row[0], value: row[2] }; })
      }]
    };
  }

  function bars(key, figure) {
    var rows = figure.rows;
    var categories = unique(rows, 0);
    var names = unique(rows, 1);
    var horizontal = HORIZONTAL[key] === true;
    if (horizontal) categories = categories.slice().reverse();  // the largest on top
    var series = names.map(function (name) {
      return {
        name: name || figure.title, type: "bar", stack: names.length > 1 ? "合计" : undefined,
        data: categories.map(function (category) {
          var match = rows.filter(function (row) { return row[0] === category && row[1] === name; });
          return match.length ? match[0][2] : 0;
        })
      };
    });
    var categoryAxis = { type: "category", data: categories, axisLabel: { interval: 0, width: 140, overflow: "truncate" } };
    var valueAxis = { type: "value", name: figure.unit, minInterval: figure.unit === "小时" ? 0 : 1 };
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: names.some(Boolean) ? { bottom: 0, type: "scroll" } : undefined,
      grid: { left: horizontal ? 150 : 60, right: 30, top: 50, bottom: names.some(Boolean) ? 60 : 40 },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? categoryAxis : valueAxis,
      series: series
    };
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var key = box.getAttribute("data-chart");
    var figure = figures[key];
    if (!figure) return;
    var option = PIES[key] ? pie(figure) : bars(key, figure);
    option.color = COLORS;
    option.title = { text: figure.title, left: "center", textStyle: { fontSize: 15 } };
    if (!figure.rows.length) {
      option.graphic = { type: "text", left: "center", top: "middle", style: { text: "所选期间暂无数据", fill: "#7b8794" } };
    }
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
})();
