// study_view.ts: the study page (#/studies/<name>[/<tab>]): the live header and the tabs. It reads
// the study at once, then again on each poll whose revision of the study moved, with the shown
// tab (one refresh at a time; a revision that moves meanwhile is read right after).

import { ApiError, apiGet, studyPath } from '../api';
import { reportError } from '../banner';
import { h, message, setChildren } from '../dom';
import { type Route, type Tab, studyHref } from '../router';
import type { StudiesResponse, StudyDetailResponse, StudySummary } from '../types';
import { ImportancePanel, IntermediatePanel, PrecisionPanel } from './analysis_tabs';
import { HistoryPanel, ParallelPanel, ParetoPanel, SlicePanel } from './series_tabs';
import { StudyData } from './study_data';
import { StudyHeader } from './study_header';
import type { StudyContext, TabPanel } from './tab_panel';
import { TrialsPanel } from './trials_tab';
import type { View } from './view';

const TAB_TITLES: Record<Tab, string> = {
  history: 'History',
  trials: 'Trials',
  pareto: 'Pareto front',
  parallel: 'Parallel coordinates',
  slice: 'Slices',
  intermediate: 'Learning curves',
  importance: 'Importance',
  precision: 'Precision',
};

const PANELS: Record<Tab, () => TabPanel> = {
  history: () => new HistoryPanel(),
  trials: () => new TrialsPanel(),
  pareto: () => new ParetoPanel(),
  parallel: () => new ParallelPanel(),
  slice: () => new SlicePanel(),
  intermediate: () => new IntermediatePanel(),
  importance: () => new ImportancePanel(),
  precision: () => new PrecisionPanel(),
};

export class StudyView implements View {
  readonly el: HTMLElement;
  private readonly header: StudyHeader;
  private readonly tabBar = h('nav', { class: 'tabs' });
  private readonly panelHost = h('div', { class: 'panel-host' });
  private readonly data: StudyData;
  private readonly panels = new Map<Tab, TabPanel>();
  private summary: StudySummary | null = null;
  private detail: StudyDetailResponse | null = null;
  private shownRevision = -1;
  private refreshing = false;
  private hasIntermediate = false;
  private hasPrecision = false;
  private disposed = false;

  constructor(private readonly name: string, private tab: Tab, pollNow: () => void) {
    this.data = new StudyData(name);
    this.header = new StudyHeader(name, pollNow, () => { location.hash = '#/'; });
    this.el = h('section', { class: 'view' }, this.header.el, this.tabBar, this.panelHost);
    void this.refresh(); // the study's own answer carries its summary: no need to wait for a poll
  }

  update(r: StudiesResponse): void {
    const s = r.studies.find((x) => x.name === this.name) ?? null;
    if (!s) {
      setChildren(this.el, message(`No study named '${this.name}'.`));
      return;
    }
    if (!this.summary || s.revision >= this.summary.revision) this.summary = s;
    if (this.detail) this.header.render(this.summary, this.detail);
    if (this.summary.revision !== this.shownRevision) void this.refresh();
  }

  show(route: Route): boolean {
    if (route.kind !== 'study' || route.name !== this.name) return false;
    this.tab = route.tab;
    this.renderTabs();
    void this.refreshPanel();
    return true;
  }

  dispose(): void {
    this.disposed = true;
    for (const p of this.panels.values()) p.dispose();
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const detail = await apiGet<StudyDetailResponse>(studyPath(this.name));
      if (this.disposed) return;
      reportError('study', null);
      this.detail = detail;
      // A poll's summary newer than the detail's is kept (and read again below).
      const revision = detail.study.revision;
      if (!this.summary || this.summary.revision <= revision) this.summary = detail.study;
      this.header.render(this.summary, detail);
      this.shownRevision = revision;
      this.renderTabs();
      // The shown tab does not wait for the probes (a big study's first page comes first).
      await Promise.all([this.refreshPanel(), this.probeTabs(revision).then(() => this.renderTabs())]);
    } catch (e) {
      if (!this.disposed) reportError('study', e);
    } finally {
      this.refreshing = false;
    }
    if (!this.disposed && this.summary && this.summary.revision !== this.shownRevision && this.detail) void this.refresh();
  }

  // probeTabs: whether the intermediate and precision tabs have anything to show (once they do,
  // they always will: trials are never forgotten). A missing route hides the tab.
  private async probeTabs(revision: number): Promise<void> {
    const probes: Promise<void>[] = [];
    if (!this.hasIntermediate) probes.push(this.data.intermediate.get(revision).then((r) => { this.hasIntermediate = r.trials.length > 0; }));
    // Only bert-classify studies set layer precisions (docs/dashboard.md, /precision).
    if (!this.hasPrecision && this.summary?.task_kind === 'bert-classify') {
      probes.push(
        this.data.precision.get(revision).then(
          (r) => { this.hasPrecision = r.layers.length > 0; },
          (e) => { if (!(e instanceof ApiError && e.status === 404)) throw e; },
        ),
      );
    }
    await Promise.all(probes);
  }

  private visibleTabs(): Tab[] {
    const multi = (this.summary?.objectives.length ?? 1) > 1;
    const tabs: Tab[] = ['history', 'trials'];
    if (multi) tabs.push('pareto');
    tabs.push('parallel', 'slice');
    if (this.hasIntermediate) tabs.push('intermediate');
    tabs.push('importance');
    if (this.hasPrecision) tabs.push('precision');
    return tabs;
  }

  private renderTabs(): void {
    setChildren(
      this.tabBar,
      this.visibleTabs().map((t) =>
        h('a', { href: studyHref(this.name, t), 'data-testid': `tab-${t}`, class: t === this.tab ? 'tab active' : 'tab' }, TAB_TITLES[t]),
      ),
    );
  }

  private async refreshPanel(): Promise<void> {
    if (!this.summary || !this.detail) return;
    let panel = this.panels.get(this.tab);
    if (!panel) {
      panel = PANELS[this.tab]();
      this.panels.set(this.tab, panel);
    }
    if (this.panelHost.firstChild !== panel.el) setChildren(this.panelHost, panel.el);
    const ctx: StudyContext = { name: this.name, summary: this.summary, detail: this.detail, data: this.data };
    await panel.refresh(ctx);
  }
}
