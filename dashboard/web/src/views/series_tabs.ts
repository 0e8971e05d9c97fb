// series_tabs.ts: the tabs drawn from the study's /series columns: history, Pareto front,
// parallel coordinates and slice plots.

import { historyOption } from '../charts/history';
import { parallelOption } from '../charts/parallel';
import { paretoData, paretoOption } from '../charts/pareto';
import { sliceOption } from '../charts/slice';
import { h, message, setChildren } from '../dom';
import type { Series } from '../types';
import { type StudyContext, TabPanel } from './tab_panel';

abstract class SeriesPanel extends TabPanel {
  protected async load(ctx: StudyContext): Promise<void> {
    const series = await ctx.data.series.get(ctx.summary.revision);
    if (!series.number.some((_, i) => series.state[i] === 'COMPLETE')) {
      this.showMessage('No COMPLETE trial yet.');
      return;
    }
    this.draw(series, ctx);
  }

  protected abstract draw(series: Series, ctx: StudyContext): void;
}

export class HistoryPanel extends SeriesPanel {
  constructor() {
    super('history');
  }

  protected draw(series: Series, ctx: StudyContext): void {
    const box = this.chart('history', 'chart-history');
    const built = historyOption(series, ctx.summary.objectives, this.objective);
    setChildren(this.body, box.el);
    box.render(built.option, { points: built.points });
  }
}

export class ParetoPanel extends SeriesPanel {
  constructor() {
    super('pareto');
  }

  protected usesObjective(): boolean {
    return false;
  }

  protected draw(series: Series, ctx: StudyContext): void {
    const objectives = ctx.summary.objectives;
    const data = paretoData(series, objectives);
    // Two objectives: one chart. Three or more: the pairwise projections of the first three.
    const pairs = objectives.length === 2 ? [[0, 1]] : [[0, 1], [0, 2], [1, 2]];
    const boxes = pairs.map(([x, y]) => {
      const box = this.chart(`${x},${y}`, 'chart-pareto', pairs.length > 1 ? 'chart chart-third' : 'chart');
      const built = paretoOption(data, objectives, x, y, objectives.length === 2);
      return { box, built };
    });
    setChildren(
      this.body,
      h('p', { class: 'caption' }, `${data.front.size} trials on the Pareto front of ${data.rows.length} COMPLETE trials` +
        (objectives.length > 3 ? ` (front over all ${objectives.length} objectives; projections of the first three)` : '')),
      h('div', { class: pairs.length > 1 ? 'chart-row' : '' }, boxes.map((b) => b.box.el)),
    );
    for (const { box, built } of boxes) box.render(built.option, { points: built.points, front: data.front.size });
  }
}

export class ParallelPanel extends SeriesPanel {
  constructor() {
    super('parallel');
  }

  protected draw(series: Series, ctx: StudyContext): void {
    const params = ctx.detail.study.params;
    const box = this.chart('parallel', 'chart-parallel', 'chart chart-tall');
    const built = parallelOption(series, params, ctx.summary.objectives, this.objective);
    box.el.style.minWidth = `${Math.max(600, 110 * (params.length + 1))}px`;
    setChildren(this.body, h('div', { class: 'scroll-x' }, box.el));
    box.render(built.option, { points: built.points });
  }
}

export class SlicePanel extends SeriesPanel {
  constructor() {
    super('slice');
  }

  protected draw(series: Series, ctx: StudyContext): void {
    const params = ctx.detail.study.params;
    if (!params.length) {
      setChildren(this.body, message('The study has no params.'));
      return;
    }
    const boxes = params.map((p) => {
      const box = this.chart(p.name, 'chart-slice', 'chart chart-small');
      box.el.setAttribute('data-param', p.name);
      return { box, built: sliceOption(series, p, ctx.summary.objectives, this.objective) };
    });
    setChildren(
      this.body,
      h('p', { class: 'caption' }, 'Points darken from early to late trials.'),
      h('div', { class: 'chart-grid' }, boxes.map((b) => b.box.el)),
    );
    for (const { box, built } of boxes) box.render(built.option, { points: built.points });
  }
}
