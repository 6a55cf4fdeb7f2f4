// The dashboard's only first-party script (the CSP allows scripts from 'self' only, none inline):
// times in the browser's time zone, uPlot charts from the data-* JSON the server rendered, and the
// same again after every htmx swap (the 5 s live refresh replaces parts of the page).

/** <time datetime="ISO"> → local time; the UTC original stays on hover. */
function localTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    if (el.dataset.local) continue;
    const d = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(d.getTime())) continue;
    el.title = `${el.getAttribute("datetime")} (UTC)`;
    el.textContent = d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
    el.dataset.local = "1";
  }
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";

/** A uPlot with the page's colours; `spec` = {kind:"line"|"bars", x:[epoch s], series:[{label, values, color?}], levels?:[{label, value}]} */
function drawChart(el) {
  if (el.dataset.drawn || !window.uPlot) return;
  let spec;
  try {
    spec = JSON.parse(el.dataset.chart);
  } catch {
    return;
  }
  el.dataset.drawn = "1";
  if (!spec.x.length) {
    el.textContent = el.dataset.empty || "No data yet.";
    el.className += " muted";
    return;
  }
  const palette = [css("--link"), css("--pos"), css("--neg"), css("--muted")];
  const bars = spec.kind === "bars" ? window.uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
  const series = [{}];
  spec.series.forEach((s, i) => {
    series.push({
      label: s.label,
      stroke: s.color ? css(s.color) : palette[i % palette.length],
      fill: bars ? `${s.color ? css(s.color) : palette[i % palette.length]}88` : undefined,
      paths: bars ?? (s.points ? () => null : undefined),
      points: s.points ? { show: true, size: 9, width: 2 } : { show: false },
      spanGaps: true,
    });
  });
  const data = [spec.x, ...spec.series.map((s) => s.values)];
  for (const lv of spec.levels ?? []) {
    series.push({ label: lv.label, stroke: css(lv.color || "--muted"), dash: [6, 4], points: { show: false } });
    data.push(spec.x.map(() => lv.value));
  }
  const axis = { stroke: css("--fg"), grid: { stroke: css("--line") }, ticks: { stroke: css("--line") } };
  const width = () => Math.max(200, el.clientWidth - 4);
  const plot = new window.uPlot(
    { width: width(), height: 220, series, axes: [axis, { ...axis, size: 70 }], scales: { x: { time: true } } },
    data,
    el,
  );
  new ResizeObserver(() => plot.setSize({ width: width(), height: 220 })).observe(el);
}

function enhance(root) {
  localTimes(root);
  for (const el of root.querySelectorAll("[data-chart]")) drawChart(el);
}

document.addEventListener("DOMContentLoaded", () => enhance(document));
document.addEventListener("htmx:afterSettle", (e) => enhance(e.target));
