//! The Summary's "Show" menu: all objects, or only those allocated after another snapshot,
//! detached DOM nodes, duplicated strings, or objects only the DevTools console keeps. The
//! filtered summary is computed in a background job.

use std::sync::Arc;

use eframe::egui;

use super::comparison::Snapshot;
use super::jobs::{Job, JobPoll};
use crate::analysis::aggregates::{ClassAggregate, aggregates};
use crate::compare::filters::{detached_dom, duplicated_strings, objects_allocated_between, retained_by_console};

/// Which objects the Summary counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeFilter {
    /// Every object.
    All,
    /// Objects whose ids the snapshot with this document id does not have.
    AllocatedAfter(u64),
    /// Native nodes of detached DOM trees.
    DetachedDom,
    /// Strings whose value another string object also holds.
    DuplicatedStrings,
    /// Objects only the DevTools console keeps alive.
    RetainedByConsole,
}

impl NodeFilter {
    fn label(self, snapshots: &[Snapshot<'_>]) -> String {
        match self {
            NodeFilter::All => "All objects".into(),
            NodeFilter::AllocatedAfter(id) => {
                let name = snapshots.iter().find(|s| s.id == id).map_or("?".to_string(), |s| s.name.clone());
                format!("Allocated after {name}")
            }
            NodeFilter::DetachedDom => "Detached DOM nodes".into(),
            NodeFilter::DuplicatedStrings => "Duplicated strings".into(),
            NodeFilter::RetainedByConsole => "Retained by the DevTools console".into(),
        }
    }
}

/// The menu's state for one document.
pub struct FilterState {
    /// The chosen filter.
    pub filter: NodeFilter,
    /// The summary of the filter that was computed last.
    pub rows: Option<(NodeFilter, Arc<Vec<ClassAggregate>>)>,
    job: Option<(NodeFilter, Job<Vec<ClassAggregate>>)>,
    /// The last error.
    pub message: Option<String>,
}

impl Default for FilterState {
    fn default() -> Self {
        Self { filter: NodeFilter::All, rows: None, job: None, message: None }
    }
}

impl FilterState {
    /// True while a filtered summary is computed.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Shows the menu; returns true when the filter changed.
    pub fn menu(&mut self, ui: &mut egui::Ui, snapshots: &[Snapshot<'_>], current: u64) -> bool {
        let before = self.filter;
        ui.horizontal(|ui| {
            let label = ui.label("Show:");
            egui::ComboBox::from_id_salt("summary_filter")
                .selected_text(self.filter.label(snapshots))
                .show_ui(ui, |ui| {
                    let mut options = vec![NodeFilter::All];
                    options
                        .extend(snapshots.iter().filter(|s| s.id != current).map(|s| NodeFilter::AllocatedAfter(s.id)));
                    options.extend([
                        NodeFilter::DetachedDom,
                        NodeFilter::DuplicatedStrings,
                        NodeFilter::RetainedByConsole,
                    ]);
                    for option in options {
                        let label = option.label(snapshots);
                        ui.selectable_value(&mut self.filter, option, label);
                    }
                })
                .response
                .labelled_by(label.id);
            if self.job.is_some() {
                super::widgets::busy_indicator(ui);
                if ui.button("Cancel").on_hover_text("Stop waiting and show all objects").clicked() {
                    self.job = None;
                    self.filter = NodeFilter::All;
                }
            }
        });
        if let Some(message) = &self.message {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
        self.filter != before
    }

    /// The rows to show: all objects, the filtered summary when ready, or `None` while it is
    /// computed (starting the job when needed).
    pub fn rows(
        &mut self,
        ctx: &egui::Context,
        snapshots: &[Snapshot<'_>],
        current: u64,
    ) -> Option<Arc<Vec<ClassAggregate>>> {
        let me = snapshots.iter().find(|s| s.id == current)?;
        if self.filter == NodeFilter::All {
            return Some(Arc::clone(&me.loaded.summary));
        }
        if let Some((filter, job)) = &self.job
            && let JobPoll::Done(result) = job.poll()
        {
            match result {
                Ok(rows) => self.rows = Some((*filter, Arc::new(rows))),
                Err(e) => self.message = Some(e),
            }
            self.job = None;
        }
        if let Some((filter, rows)) = &self.rows
            && *filter == self.filter
        {
            return Some(Arc::clone(rows));
        }
        if self.job.as_ref().is_none_or(|(f, _)| *f != self.filter) {
            let filter = self.filter;
            let (graph, analysis) = (Arc::clone(&me.loaded.graph), Arc::clone(&me.loaded.analysis));
            let earlier = match filter {
                NodeFilter::AllocatedAfter(id) => {
                    snapshots.iter().find(|s| s.id == id).map(|s| Arc::clone(&s.loaded.graph))
                }
                _ => None,
            };
            let job = Job::spawn("filtering the summary", super::jobs::repaint_soon(ctx), move |_| {
                let mut keep = vec![false; graph.node_count()];
                let nodes: Vec<u32> = match (filter, earlier) {
                    (NodeFilter::AllocatedAfter(_), Some(earlier)) => objects_allocated_between(&earlier, &graph),
                    (NodeFilter::AllocatedAfter(_), None) => return Err("that snapshot was closed".into()),
                    (NodeFilter::DetachedDom, _) => detached_dom(&graph, &analysis),
                    (NodeFilter::DuplicatedStrings, _) => {
                        duplicated_strings(&graph, &analysis).into_iter().flat_map(|d| d.nodes).collect()
                    }
                    (NodeFilter::RetainedByConsole, _) => retained_by_console(&graph, &analysis),
                    (NodeFilter::All, _) => (0..graph.node_count() as u32).collect(),
                };
                for v in nodes {
                    keep[v as usize] = true;
                }
                Ok(aggregates(&graph, &analysis, Some(&|v: u32| keep[v as usize])))
            });
            match job {
                Ok(job) => self.job = Some((filter, job)),
                Err(e) => self.message = Some(format!("cannot start filtering: {e}")),
            }
        }
        None
    }
}
