//! `GET /metrics` in the Prometheus text format: webhooks by status, invocation durations by
//! method, events stored and delivered, refresh outcomes, sandboxes alive. Counters are atomics or
//! small maps behind a mutex; nothing here is on a path that waits for another.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::Status;

#[derive(Default)]
pub struct Metrics {
    webhooks: Mutex<BTreeMap<u16, u64>>,
    /// Per method: (count, total seconds).
    invocations: Mutex<BTreeMap<String, (u64, f64)>>,
    refreshes: Mutex<BTreeMap<&'static str, u64>>,
    /// Global webhook deliveries by (connector, webhook, routed, unmatched or failed).
    global_deliveries: Mutex<BTreeMap<(String, String, &'static str), u64>>,
    /// The last failure of each global webhook's handle: (when, what).
    global_failures: Mutex<BTreeMap<(String, String), (i64, String)>>,
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

    /// A delivery to a global webhook with events: some reached a subscription, or none did.
    pub fn global_delivery(&self, connector: &str, webhook: &str, routed: bool) {
        let outcome = if routed { "routed" } else { "unmatched" };
        if let Ok(mut map) = self.global_deliveries.lock() {
            *map.entry((connector.to_string(), webhook.to_string(), outcome))
                .or_default() += 1;
        }
    }

    /// A global webhook's `handle` failed (no subscription's log can hold it): counted, and kept
    /// as its last error for `GET /api/connectors/{key}/global-webhooks`.
    pub fn global_failure(&self, connector: &str, webhook: &str, error: String) {
        if let Ok(mut map) = self.global_deliveries.lock() {
            *map.entry((connector.to_string(), webhook.to_string(), "failed"))
                .or_default() += 1;
        }
        if let Ok(mut map) = self.global_failures.lock() {
            map.insert(
                (connector.to_string(), webhook.to_string()),
                (crate::app::now_millis(), error),
            );
        }
    }

    /// The last failure of a global webhook's handle since start: (when, what).
    pub fn last_global_failure(&self, connector: &str, webhook: &str) -> Option<(i64, String)> {
        self.global_failures
            .lock()
            .ok()?
            .get(&(connector.to_string(), webhook.to_string()))
            .cloned()
    }

    /// Deliveries to a global webhook that matched no subscription, since start.
    pub fn unmatched(&self, connector: &str, webhook: &str) -> u64 {
        self.global_deliveries
            .lock()
            .ok()
            .and_then(|m| {
                m.get(&(connector.to_string(), webhook.to_string(), "unmatched"))
                    .copied()
            })
            .unwrap_or(0)
    }

    /// `outcome`: `ok`, `error`, `recreated` (the external app had lost it) or `expired`.
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
    pub fn render(&self, sandboxes_alive: usize, subscriptions: &[(Status, u64)]) -> String {
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
        let _ = writeln!(
            out,
            "# TYPE connector_global_webhook_deliveries_total counter"
        );
        for ((connector, webhook, outcome), count) in self
            .global_deliveries
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default()
        {
            let _ = writeln!(
                out,
                "connector_global_webhook_deliveries_total{{connector=\"{connector}\",webhook=\"{webhook}\",outcome=\"{outcome}\"}} {count}"
            );
        }
        let _ = writeln!(out, "# TYPE connector_subscriptions gauge");
        for (status, count) in subscriptions {
            let _ = writeln!(
                out,
                "connector_subscriptions{{status=\"{}\"}} {count}",
                status.as_str()
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
