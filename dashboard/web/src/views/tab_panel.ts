// tab_panel.ts: what every tab of the study page shares: its panel (data-testid view-<tab>, with
// the data-ready hook), a toolbar, an objective chooser for multi-objective studies, and turning a
// failed fetch into the error banner (or "not available" for a route the server lacks).

import { ApiError } from '../api';
import { ChartBox } from '../charts/chart_box';
import { reportError } from '../banner';
import { h, message, setChildren, setReady } from '../dom';
import type { Tab } from '../router';
import type { StudyDetailResponse, StudySummary } from '../types';
import type { StudyData } from './study_data';

export interface StudyContext {
  name: string;
  summary: StudySummary;
  detail: StudyDetailResponse;
  data: StudyData;
}

export abstract class TabPanel {
  readonly el: HTMLElement;
  protected readonly toolbar: HTMLElement;
  protected readonly body: HTMLElement;
  protected objective = 0;
  private ctx: StudyContext | null = null;
  private readonly charts = new Map<string, ChartBox>();
  private unavailable = false; // the server lacks the panel's optional route: not asked again
  private disposed = false; // a failure arriving after dispose() is nobody's concern
  private objectiveSelect: HTMLSelectElement | null = null;

  constructor(readonly tab: Tab) {
    this.toolbar = h('div', { class: 'toolbar' });
    this.body = h('div', { class: 'panel-body' });
    this.el = h('section', { class: 'panel', 'data-testid': `view-${tab}`, 'data-ready': '0' }, this.toolbar, this.body);
  }

  // refresh: reloads the panel's data for ctx (the study's latest revision) and renders it.
  async refresh(ctx: StudyContext): Promise<void> {
    this.ctx = ctx;
    if (this.unavailable) return;
    this.syncObjectiveSelect(ctx);
    setReady(this.el, false);
    try {
      await this.load(ctx);
      reportError('tab', null);
    } catch (e) {
      if (this.disposed) return;
      if (e instanceof ApiError && e.status === 404 && this.optionalRoute()) {
        this.unavailable = true;
        this.toolbar.replaceChildren();
        this.showMessage('Not available: this server does not provide this view.');
        reportError('tab', null);
      } else {
        reportError('tab', e);
      }
    } finally {
      setReady(this.el, true);
    }
  }

  // reload: refresh with the last context (after a control of the panel changed).
  protected reload(): void {
    if (this.ctx) void this.refresh(this.ctx);
  }

  protected abstract load(ctx: StudyContext): Promise<void>;

  // optionalRoute: whether the panel's route may be missing on the server (404 = not available).
  protected optionalRoute(): boolean {
    return false;
  }

  // usesObjective: whether the panel shows an objective chooser on multi-objective studies.
  protected usesObjective(): boolean {
    return true;
  }

  // showMessage: the panel's body becomes one line of text (its charts are kept for later).
  protected showMessage(text: string): void {
    setChildren(this.body, message(text));
  }

  // chart: the panel's chart named key (made on first use, kept across refreshes so that live
  // updates redraw in place).
  protected chart(key: string, testid: string, className?: string): ChartBox {
    let box = this.charts.get(key);
    if (!box) {
      box = new ChartBox(testid, className);
      this.charts.set(key, box);
    }
    return box;
  }

  dispose(): void {
    this.disposed = true;
    for (const box of this.charts.values()) box.dispose();
    this.charts.clear();
  }

  private syncObjectiveSelect(ctx: StudyContext): void {
    const objectives = ctx.summary.objectives;
    if (!this.usesObjective() || objectives.length < 2 || this.objectiveSelect) return;
    this.objectiveSelect = h(
      'select',
      { 'data-testid': `objective-${this.tab}`, onchange: () => { this.objective = Number(this.objectiveSelect!.value); this.reload(); } },
      objectives.map((o, k) => h('option', { value: k }, o.name)),
    );
    this.toolbar.prepend(h('label', { class: 'control' }, 'objective ', this.objectiveSelect));
  }
}
