/* Dashboards: draw each [data-chart] element with ECharts (served from our static files)
   from the JSON of the <script> its data-source names. Every bar or point links to the
   rows behind it: clicking it opens `links[i]`. Once painted (its animation finished), the
   element gets data-rendered="true" (the browser tests wait for it). */
(function () {
  "use strict";

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var RED = "#c8161d", GOLD = "#d4a017", GREY = "#b9b9b9";

  function option(type, d) {
    var grid = { left: 8, right: 24, top: 24, bottom: 8, containLabel: true };
    if (type === "hbar") {
      // Best first, top to bottom.
      var names = d.names.slice().reverse(), values = d.values.slice().reverse();
      return {
        grid: grid,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "value", min: 0, max: 100 },
        yAxis: { type: "category", data: names, axisLabel: { width: 140, overflow: "truncate" } },
        series: [{ type: "bar", data: values, itemStyle: { color: RED },
                   label: { show: true, position: "right" } }],
      };
    }
    if (type === "stack") {
      return {
        grid: grid,
        legend: { top: 0 },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "category", data: d.names },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: d.held_label, type: "bar", stack: "n", data: d.held, itemStyle: { color: RED } },
          { name: d.not_held_label, type: "bar", stack: "n", data: d.not_held,
            itemStyle: { color: GREY } },
        ],
      };
    }
    if (type === "line") {
      return {
        grid: grid,
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
        xAxis: { type: "category", data: d.names },
        yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        series: [{ type: "line", data: d.values, connectNulls: false, symbolSize: 8,
                   itemStyle: { color: RED } }],
      };
    }
    return {
      grid: grid,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: d.names },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: d.values, itemStyle: { color: GOLD },
                 label: { show: true, position: "top" } }],
    };
  }

  function linkFor(el, d, params) {
    var type = el.dataset.type;
    if (type === "stack") {
      var list = params.seriesIndex === 0 ? d.held_links : d.not_held_links;
      return list && list[params.dataIndex];
    }
    if (type === "hbar") {
      return d.links[d.links.length - 1 - params.dataIndex];
    }
    return d.links && d.links[params.dataIndex];
  }

  function draw(el) {
    var d = read(el.dataset.source);
    if (!d || !window.echarts) { return; }
    if (!d.names || d.names.length === 0) {
      el.classList.add("empty");
      el.dataset.rendered = "true";
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    // Drawn means painted: ECharts says "finished" once its opening animation has run,
    // not when setOption returns (the bars are still growing then).
    chart.on("finished", function () { el.dataset.rendered = "true"; });
    chart.setOption(option(el.dataset.type, d));
    chart.on("click", function (params) {
      var url = linkFor(el, d, params);
      if (url) { window.location.href = url; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
