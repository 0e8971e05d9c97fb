// analysis_tabs.ts: the tabs drawn from the study's own routes: learning curves (/intermediate),
// parameter importance (/importance) and the precision map (/precision).

import { apiGet, studyPath } from '../api';
import { importanceOption } from '../charts/importance';
import { intermediateOption } from '../charts/intermediate';
import { ROW_HEIGHT, TOP_HEIGHT, precisionOption } from '../charts/precision';
import { h, setChildren } from '../dom';
import type { ImportanceResponse } from '../types';
import { type StudyContext, TabPanel } from './tab_panel';

export class IntermediatePanel extends TabPanel {
  constructor() {
    super('intermediate');
  }

  protected usesObjective(): boolean {
    return false;
  }

  protected async load(ctx: StudyContext): Promise<void> {
    const r = await ctx.data.intermediate.get(ctx.summary.revision);
    if (!r.trials.length) {
      this.showMessage('No trial has reported an intermediate value.');
      return;
    }
    const box = this.chart('curves', 'chart-intermediate', 'chart chart-tall');
    const built = intermediateOption(r.trials, `${ctx.summary.objectives[0].name} (intermediate)`);
    setChildren(this.body, box.el);
    box.render(built.option, { points: built.points, curves: built.curves, pruned: built.pruned });
  }
}

export class ImportancePanel extends TabPanel {
  constructor() {
    super('importance');
  }

  protected optionalRoute(): boolean {
    return true;
  }

  protected async load(ctx: StudyContext): Promise<void> {
    const r = await apiGet<ImportanceResponse>(studyPath(ctx.name, `/importance?objective=${this.objective}`));
    const objective = ctx.summary.objectives[r.objective] ?? ctx.summary.objectives[0];
    const caption = h('p', { class: 'caption', 'data-testid': 'importance-method' },
      `PED-ANOVA, objective ${objective.name} (${r.n_trials} trials)`);
    if (!r.importances.length) {
      setChildren(this.body, caption, h('p', { class: 'message' }, 'Needs at least 2 COMPLETE trials.'));
      return;
    }
    const box = this.chart('importance', 'chart-importance');
    box.el.style.height = `${Math.max(200, 80 + 28 * r.importances.length)}px`;
    setChildren(this.body, caption, box.el);
    box.render(importanceOption(r), { points: r.n_trials, order: r.importances.map((i) => i.param).join(',') });
  }
}

export class PrecisionPanel extends TabPanel {
  constructor() {
    super('precision');
  }

  protected usesObjective(): boolean {
    return false;
  }

  protected optionalRoute(): boolean {
    return true;
  }

  protected async load(ctx: StudyContext): Promise<void> {
    const r = await ctx.data.precision.get(ctx.summary.revision);
    if (!r.layers.length) {
      this.showMessage('The study searches no layer precision.');
      return;
    }
    if (!r.trials.length) {
      this.showMessage('No COMPLETE trial yet.');
      return;
    }
    const box = this.chart('precision', 'chart-precision', 'chart chart-auto');
    box.el.style.height = `${TOP_HEIGHT + 90 + ROW_HEIGHT * r.layers.length}px`;
    const built = precisionOption(r, ctx.summary.objectives[0]);
    setChildren(this.body, h('p', { class: 'caption' }, `Weight bits of ${r.layers.length} Linear layers in ${r.trials.length} COMPLETE trials, best ${ctx.summary.objectives[0].name} on the left.`), box.el);
    box.render(built.option, { points: built.points, layers: r.layers.join(',') });
  }
}
