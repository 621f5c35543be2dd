//! `GET /metrics` in the Prometheus text format: webhooks by status, invocation durations by
//! method, events stored and delivered, refresh outcomes, sandboxes alive. Counters are atomics or
//! small maps behind a mutex; nothing here is on a path that waits for another.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    webhooks: Mutex<BTreeMap<u16, u64>>,
    /// Per method: (count, total seconds).
    invocations: Mutex<BTreeMap<String, (u64, f64)>>,
    refreshes: Mutex<BTreeMap<&'static str, u64>>,
    events_stored: AtomicU64,
    events_delivered: AtomicU64,
}

impl Metrics {
    pub fn webhook(&self, status: u16) {
        if let Ok(mut map) = self.webhooks.lock() {
            *map.entry(status).or_default() += 1;
        }
    }

    pub fn invocation(&self, method: &str, seconds: f64) {
        if let Ok(mut map) = self.invocations.lock() {
            let entry = map.entry(method.to_string()).or_default();
            entry.0 += 1;
            entry.1 += seconds;
        }
    }

    /// `outcome`: `ok` or `error`.
    pub fn refresh(&self, outcome: &'static str) {
        if let Ok(mut map) = self.refreshes.lock() {
            *map.entry(outcome).or_default() += 1;
        }
    }

    pub fn stored(&self, events: usize) {
        self.events_stored
            .fetch_add(events as u64, Ordering::Relaxed);
    }

    pub fn delivered(&self, events: usize) {
        self.events_delivered
            .fetch_add(events as u64, Ordering::Relaxed);
    }

    /// The text exposition, with the gauges read by the caller.
    pub fn render(&self, sandboxes_alive: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# TYPE connector_webhooks_total counter");
        for (status, count) in self.webhooks.lock().map(|m| m.clone()).unwrap_or_default() {
            let _ = writeln!(
                out,
                "connector_webhooks_total{{status=\"{status}\"}} {count}"
            );
        }
        let _ = writeln!(out, "# TYPE connector_invocation_seconds summary");
        for (method, (count, sum)) in self
            .invocations
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
        {
            let _ = writeln!(
                out,
                "connector_invocation_seconds_count{{method=\"{method}\"}} {count}"
            );
            let _ = writeln!(
                out,
                "connector_invocation_seconds_sum{{method=\"{method}\"}} {sum}"
            );
        }
        let _ = writeln!(out, "# TYPE connector_refreshes_total counter");
        for (outcome, count) in self.refreshes.lock().map(|m| m.clone()).unwrap_or_default() {
            let _ = writeln!(
                out,
                "connector_refreshes_total{{outcome=\"{outcome}\"}} {count}"
            );
        }
        let _ = writeln!(out, "# TYPE connector_events_stored_total counter");
        let _ = writeln!(
            out,
            "connector_events_stored_total {}",
            self.events_stored.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# TYPE connector_events_delivered_total counter");
        let _ = writeln!(
            out,
            "connector_events_delivered_total {}",
            self.events_delivered.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# TYPE connector_sandboxes_alive gauge");
        let _ = writeln!(out, "connector_sandboxes_alive {sandboxes_alive}");
        out
    }
}
