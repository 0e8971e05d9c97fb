// chart_box.ts: one ECharts chart in a <div> that follows its container's size. Only the ECharts
// parts the dashboard uses are registered (canvas renderer), so the bundle stays small.

import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  ToolboxComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { h } from '../dom';

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  ParallelChart,
  ScatterChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TitleComponent,
  ToolboxComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

// BuiltChart: what an option builder returns: the option and the trial points it plots (the
// chart's data-points hook).
export interface BuiltChart {
  option: ChartOption;
  points: number;
}

// ChartBox: the element `el` (data-testid = testid) and the chart drawn in it. The chart is made
// on the first render that finds the element laid out (ECharts needs a size), and resized with
// the element. Not thread-safe (the page's one thread).
export class ChartBox {
  readonly el: HTMLDivElement;
  private chart: echarts.ECharts | null = null;
  private pending: ChartOption | null = null;
  private readonly observer: ResizeObserver;

  constructor(testid: string, className = 'chart') {
    this.el = h('div', { 'data-testid': testid, class: className });
    this.observer = new ResizeObserver(() => this.layout());
    this.observer.observe(this.el);
  }

  // render: draws option (replacing the previous one) and sets the data-* hooks in attrs.
  render(option: ChartOption, attrs: Record<string, string | number>): void {
    for (const [k, v] of Object.entries(attrs)) this.el.setAttribute(`data-${k}`, String(v));
    this.pending = option;
    this.layout();
  }

  dispose(): void {
    this.observer.disconnect();
    const chart = this.chart;
    this.chart = null;
    if (!chart) return;
    // A progressive render (big heatmaps, parallel lines) paints on in animation frames that
    // zrender has already asked for; disposing under them throws. Clearing ends the painting,
    // and the dispose waits for the frame those callbacks run in.
    chart.clear();
    requestAnimationFrame(() => chart.dispose());
  }

  private layout(): void {
    if (this.el.clientWidth === 0 || this.el.clientHeight === 0) return;
    if (!this.chart) this.chart = echarts.init(this.el, null, { renderer: 'canvas' });
    if (this.pending) {
      this.chart.setOption(this.pending, { notMerge: true, lazyUpdate: false });
      this.pending = null;
    } else {
      this.chart.resize();
    }
  }
}
