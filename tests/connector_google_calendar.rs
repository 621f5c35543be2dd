//! connectors/google-calendar end to end: the shipped connector in the real service against a fake
//! of Google Calendar API v3 push channels (events.list with sync tokens and pages, events.watch,
//! channels.stop) that opens channels with an expiration, posts the `sync` message right after each
//! watch call and `exists` notifications to the channels alive, with Google's headers.

mod common;
use common::{Service, client, data_dir, events, get, json_of, subscribe};
use test_support::{FakeApp, Recorded, Reply, call_blocking};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

const CALENDAR: &str = "team@example.com";
const EVENTS: &str = "/calendar/v3/calendars/team%40example.com/events";
const WATCH: &str = "/calendar/v3/calendars/team%40example.com/events/watch";
const STOP: &str = "/calendar/v3/channels/stop";
const RESOURCE_ID: &str = "ret08u3rv24htgh289g";
const RESOURCE_URI: &str =
    "https://www.googleapis.com/calendar/v3/calendars/team@example.com/events?alt=json";
const BEARER: &str = "Bearer ya29.a0AfB-test-access-token";
const WEEK: u64 = 7 * 24 * 3600 * 1000;
/// Events per page of events.list (Google may return fewer than maxResults).
const PAGE: usize = 2;

struct Channel {
    id: String,
    token: String,
    address: String,
    opened: u64,
    expiration: u64,
    stopped: Option<u64>,
    messages: u64,
}

/// One calendar as Google keeps it, with the channels watching it.
#[derive(Default)]
struct Calendar {
    lifetime: u64,
    seq: u64,
    /// Each event with the number of its last change, in change order.
    events: Vec<(u64, Value)>,
    /// Sync tokens older than this change number answer 410 Gone.
    oldest_valid: u64,
    channels: Vec<Channel>,
    /// The service's answers to the `sync` messages: (channel id, status).
    syncs: Vec<(String, u16)>,
}

/// What the fake hands out as nextSyncToken after change `seq`.
fn sync_token(seq: u64) -> String {
    format!("CPDAlvWDx70CEPDAlvWDx70CGA{seq}=")
}

/// Google's clock for calendar data: change n happens n seconds after 10:00.
fn at(seq: u64) -> String {
    format!("2024-05-01T10:{:02}:{:02}.000Z", seq / 60, seq % 60)
}

impl Calendar {
    fn put(&mut self, id: &str, summary: &str) {
        self.seq += 1;
        let seq = self.seq;
        let created = match self.events.iter().position(|(_, e)| e["id"] == id) {
            Some(i) => self.events.remove(i).1["created"].clone(),
            None => json!(at(seq)),
        };
        self.events.push((seq, json!({ "kind": "calendar#event", "etag": format!("\"{seq}\""),
            "id": id, "status": "confirmed", "htmlLink": format!("https://www.google.com/calendar/event?eid={id}"),
            "created": created, "updated": at(seq), "summary": summary,
            "creator": { "email": CALENDAR }, "organizer": { "email": CALENDAR, "self": true },
            "start": { "dateTime": "2024-06-03T09:00:00Z" }, "end": { "dateTime": "2024-06-03T09:30:00Z" },
            "iCalUID": format!("{id}@google.com"), "sequence": 0 })));
    }

    /// A deleted event, as incremental sync shows it.
    fn cancel(&mut self, id: &str) {
        self.seq += 1;
        let seq = self.seq;
        self.events.retain(|(_, e)| e["id"] != id);
        self.events.push((
            seq,
            json!({ "kind": "calendar#event", "etag": format!("\"{seq}\""),
            "id": id, "status": "cancelled", "updated": at(seq) }),
        ));
    }

    fn event(&self, id: &str) -> Value {
        self.events
            .iter()
            .find(|(_, e)| e["id"] == id)
            .unwrap()
            .1
            .clone()
    }

    /// events.list: changes since `syncToken`, else every event (cancelled ones with
    /// showDeleted), PAGE at a time; the last page carries nextSyncToken; `fields` trims the answer.
    fn list(&self, query: &HashMap<String, String>) -> Reply {
        let since = match query.get("syncToken") {
            Some(token) => match token
                .strip_prefix("CPDAlvWDx70CEPDAlvWDx70CGA")
                .and_then(|t| t.strip_suffix('='))
                .and_then(|t| t.parse::<u64>().ok())
            {
                Some(since) if since >= self.oldest_valid => Some(since),
                _ => {
                    return google_error(
                        410,
                        "fullSyncRequired",
                        "Sync token is no longer valid, a full sync is required.",
                    );
                }
            },
            None => None,
        };
        let deleted = since.is_some() || query.get("showDeleted").is_some_and(|v| v == "true");
        let items: Vec<&Value> = (self.events.iter())
            .filter(|(seq, e)| *seq > since.unwrap_or(0) && (deleted || e["status"] != "cancelled"))
            .map(|(_, e)| e)
            .collect();
        let offset: usize = query
            .get("pageToken")
            .map_or(0, |p| p[5..].parse().unwrap());
        let end = (offset + PAGE).min(items.len());
        let mut page = json!({ "kind": "calendar#events", "etag": format!("\"p{}\"", self.seq),
            "summary": CALENDAR, "updated": at(self.seq), "timeZone": "UTC", "accessRole": "owner",
            "defaultReminders": [], "items": items[offset..end] });
        if end < items.len() {
            page["nextPageToken"] = json!(format!("page-{end}"));
        } else {
            page["nextSyncToken"] = json!(sync_token(self.seq));
        }
        if let Some(fields) = query.get("fields") {
            let fields: Vec<&str> = fields.split(',').collect();
            page.as_object_mut()
                .unwrap()
                .retain(|k, _| fields.contains(&k.as_str()));
        }
        Reply::json(200, &page.to_string())
    }

    fn stop(&mut self, body: &Value) -> Reply {
        let now = now_ms();
        let alive = self
            .channels
            .iter_mut()
            .find(|c| body["id"] == c.id.as_str() && c.stopped.is_none() && c.expiration > now);
        match alive {
            Some(channel) if body["resourceId"] == RESOURCE_ID => {
                channel.stopped = Some(now);
                Reply::text(204, "")
            }
            _ => google_error(
                404,
                "notFound",
                &format!("Channel '{}' not found for project '1234'", body["id"]),
            ),
        }
    }

    /// The next message of each channel alive.
    fn messages(&mut self) -> Vec<Message> {
        let now = now_ms();
        (self.channels.iter_mut())
            .filter(|c| c.stopped.is_none() && c.expiration > now)
            .map(|c| {
                c.messages += 1;
                Message {
                    channel: c.id.clone(),
                    token: c.token.clone(),
                    address: c.address.clone(),
                    expiration: c.expiration,
                    number: c.messages,
                }
            })
            .collect()
    }
}

/// The fake Google Calendar API, and the calendar it serves.
fn google(lifetime: u64) -> (FakeApp, Arc<Mutex<Calendar>>) {
    let calendar = Arc::new(Mutex::new(Calendar {
        lifetime,
        ..Calendar::default()
    }));
    let shared = calendar.clone();
    let app = FakeApp::start(move |r: &Recorded| {
        if r.header("authorization") != Some(BEARER) {
            return google_error(401, "authError", "Invalid Credentials");
        }
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", EVENTS) => shared
                .lock()
                .unwrap()
                .list(&query_of(r).into_iter().collect()),
            ("POST", WATCH) => watch(&shared, &body),
            ("POST", STOP) => shared.lock().unwrap().stop(&body),
            _ => google_error(404, "notFound", "Not Found"),
        }
    });
    (app, calendar)
}

/// events.watch: a new channel (its id must be new), answered at once; the `sync` message follows
/// from another thread, as Google sends it asynchronously.
fn watch(calendar: &Arc<Mutex<Calendar>>, body: &Value) -> Reply {
    let mut c = calendar.lock().unwrap();
    let (Some(id), Some(address)) = (body["id"].as_str(), body["address"].as_str()) else {
        return google_error(400, "required", "Required");
    };
    if body["type"] != "web_hook" || id.len() > 64 || c.channels.iter().any(|ch| ch.id == id) {
        return google_error(400, "channelIdNotUnique", "Invalid channel");
    }
    let (now, lifetime) = (now_ms(), c.lifetime);
    c.channels.push(Channel {
        id: id.into(),
        token: body["token"].as_str().unwrap_or("").into(),
        address: address.into(),
        opened: now,
        expiration: now + lifetime,
        stopped: None,
        messages: 0,
    });
    let sync = c.messages().into_iter().find(|m| m.channel == id).unwrap();
    let shared = calendar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        let status = deliver(&sync, "sync");
        shared.lock().unwrap().syncs.push((sync.channel, status));
    });
    let answer = json!({ "kind": "api#channel", "id": id, "resourceId": RESOURCE_ID,
        "resourceUri": RESOURCE_URI, "token": body["token"], "expiration": (now + lifetime).to_string() });
    Reply::json(200, &answer.to_string())
}

fn google_error(code: u16, reason: &str, message: &str) -> Reply {
    let error = json!({ "error": { "errors": [{ "domain": "global", "reason": reason, "message": message }],
        "code": code, "message": message } });
    Reply::json(code, &error.to_string())
}

struct Message {
    channel: String,
    token: String,
    address: String,
    expiration: u64,
    number: u64,
}

/// One push notification, with Google's headers and no body: the service's status.
fn deliver(m: &Message, resource_state: &str) -> u16 {
    let (expiration, number) = (http_date(m.expiration), m.number.to_string());
    let headers = [
        ("content-type", "application/json; utf-8"),
        (
            "user-agent",
            "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
        ),
        ("x-goog-channel-id", m.channel.as_str()),
        ("x-goog-channel-token", m.token.as_str()),
        ("x-goog-channel-expiration", expiration.as_str()),
        ("x-goog-resource-id", RESOURCE_ID),
        ("x-goog-resource-uri", RESOURCE_URI),
        ("x-goog-resource-state", resource_state),
        ("x-goog-message-number", number.as_str()),
    ];
    call_blocking("POST", &m.address, &headers, b"").status
}

/// `exists` to every channel alive, as Google sends on a change: (channel id, status) of each.
async fn notify(calendar: &Arc<Mutex<Calendar>>) -> Vec<(String, u16)> {
    let messages = calendar.lock().unwrap().messages();
    let sent = move || {
        messages
            .iter()
            .map(|m| (m.channel.clone(), deliver(m, "exists")))
            .collect()
    };
    tokio::task::spawn_blocking(sent).await.unwrap()
}

fn query_of(r: &Recorded) -> Vec<(String, String)> {
    url::form_urlencoded::parse(r.query.as_bytes())
        .into_owned()
        .collect()
}

fn assert_list(r: &Recorded, query: &[(&str, &str)]) {
    assert_eq!(
        (
            r.method.as_str(),
            r.path.as_str(),
            r.header("authorization")
        ),
        ("GET", EVENTS, Some(BEARER))
    );
    let expected: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(query_of(r), expected);
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// `Tue, 19 Nov 2013 01:13:52 GMT`, as X-Goog-Channel-Expiration shows it (civil_from_days).
fn http_date(ms: u64) -> String {
    let (secs, days) = (ms / 1000, (ms / 1000 / 86400) as i64);
    let z = days + 719_468;
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let (day, month) = (
        doy - (153 * mp + 2) / 5 + 1,
        if mp < 10 { mp + 3 } else { mp - 9 },
    );
    let year = yoe + z.div_euclid(146_097) * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (h, m, s) = (secs % 86400 / 3600, secs % 3600 / 60, secs % 60);
    format!(
        "{weekday}, {day:02} {} {year} {h:02}:{m:02}:{s:02} GMT",
        names[month as usize - 1]
    )
}

async fn open(client: &reqwest::Client, service: &Service, app: &FakeApp) -> Value {
    let credentials = json!({ "access_token": BEARER.strip_prefix("Bearer ").unwrap(),
        "apiBaseUri": format!("{}/calendar/v3", app.url()) });
    let body = json!({ "connector": "google-calendar", "event": "event-changes",
        "parameters": { "calendarId": CALENDAR }, "credentials": credentials });
    let (status, created) = subscribe(client, service, body).await;
    assert_eq!(
        (status, created["status"].as_str()),
        (201, Some("active")),
        "{created}"
    );
    created
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The stored events as `{type, record}`.
async fn stored(client: &reqwest::Client, service: &Service) -> Vec<Value> {
    let all = events(client, service).await;
    all.iter()
        .map(|e| json!({ "type": e["type"], "record": e["record"] }))
        .collect()
}

/// The headers of an `exists` notification (the token last, so that `[..3]` leaves it out).
fn goog<'a>(channel: &'a str, token: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("x-goog-channel-id", channel),
        ("x-goog-resource-id", RESOURCE_ID),
        ("x-goog-resource-state", "exists"),
        ("x-goog-channel-token", token),
    ]
}

async fn post_notification(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = client.post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    json_of(request.send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_is_opened_synced_notified_and_stopped() {
    let (app, calendar) = google(WEEK);
    {
        let mut c = calendar.lock().unwrap();
        c.put("evt-1", "Standup");
        c.put("evt-2", "Retro");
        c.put("evt-3", "Planning");
    }
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let created = open(&client, &service, &app).await;

    // First a full sync, for its sync token only (two pages), then the watch call.
    let requests = app.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    let fields = ("fields", "nextPageToken,nextSyncToken,updated");
    assert_list(&requests[0], &[fields, ("maxResults", "2500")]);
    assert_list(
        &requests[1],
        &[fields, ("maxResults", "2500"), ("pageToken", "page-2")],
    );
    let watch = &requests[2];
    assert_eq!(
        (watch.method.as_str(), watch.path.as_str()),
        ("POST", WATCH)
    );
    assert_eq!(watch.header("authorization"), Some(BEARER));
    assert_eq!(watch.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&watch.body).unwrap();
    let (channel, token) = (
        body["id"].as_str().unwrap(),
        body["token"].as_str().unwrap(),
    );
    assert_eq!(
        body,
        json!({ "id": channel, "type": "web_hook", "address": created["webhookUri"], "token": token })
    );
    assert!(
        channel.len() == 36 && channel.matches('-').count() == 4,
        "a UUID: {channel}"
    );
    assert!(
        token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "{token}"
    );
    let expiration = calendar.lock().unwrap().channels[0].expiration;
    let state = json!({ "channelId": channel, "resourceId": RESOURCE_ID, "expiration": expiration,
        "token": token, "syncToken": sync_token(3), "calendarUpdated": at(3) });
    assert_eq!(created["state"], state);
    assert_eq!(
        created["nextRefreshTimestamp"],
        json!(expiration - 3_600_000),
        "an hour before expiry"
    );

    // Google's `sync` message once the channel is open: acknowledged, no event.
    wait_until("the sync message", || {
        !calendar.lock().unwrap().syncs.is_empty()
    })
    .await;
    assert_eq!(calendar.lock().unwrap().syncs, [(channel.to_string(), 200)]);
    assert!(events(&client, &service).await.is_empty());

    // One event created, one updated, one deleted; Google says only `exists`.
    {
        let mut c = calendar.lock().unwrap();
        c.put("evt-4", "Launch");
        c.put("evt-1", "Standup (moved)");
        c.cancel("evt-2");
    }
    assert_eq!(notify(&calendar).await, [(channel.to_string(), 200)]);
    let requests = app.requests();
    let since = sync_token(3);
    assert_list(
        &requests[3],
        &[("syncToken", &since), ("maxResults", "2500")],
    );
    assert_list(
        &requests[4],
        &[
            ("syncToken", &since),
            ("maxResults", "2500"),
            ("pageToken", "page-2"),
        ],
    );
    let expected = {
        let c = calendar.lock().unwrap();
        vec![
            json!({ "type": "created", "record": c.event("evt-4") }),
            json!({ "type": "updated", "record": c.event("evt-1") }),
            json!({ "type": "deleted", "record": c.event("evt-2") }),
        ]
    };
    assert_eq!(stored(&client, &service).await, expected);
    let subscription = format!(
        "{}/api/subscriptions/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let (_, now) = get(&client, &subscription).await;
    assert_eq!(
        (&now["state"]["syncToken"], &now["state"]["calendarUpdated"]),
        (&json!(sync_token(6)), &json!(at(6)))
    );
    assert_eq!(now["state"]["channelId"], channel);

    // Nothing new: nothing reported twice.
    assert_eq!(notify(&calendar).await, [(channel.to_string(), 200)]);
    assert_eq!(stored(&client, &service).await.len(), 3);

    // Forged notifications, while a change waits: a wrong or missing token is refused, another
    // channel is ignored, a request without Google's headers is refused; none asks Google anything.
    calendar.lock().unwrap().put("evt-5", "Offsite");
    let webhook = created["webhookUri"].as_str().unwrap();
    let asked = app.requests().len();
    let wrong = format!(
        "{}{}",
        &token[..63],
        if token.ends_with('0') { '1' } else { '0' }
    );
    let (status, body) = post_notification(&client, webhook, &goog(channel, &wrong)).await;
    assert_eq!(
        (status, body),
        (401, json!({ "error": "invalid channel token" }))
    );
    let (status, _) = post_notification(&client, webhook, &goog(channel, token)[..3]).await;
    assert_eq!(status, 401, "no token");
    let (status, body) = post_notification(&client, webhook, &goog("another-channel", token)).await;
    assert_eq!(
        (status, body["ignored"].as_str()),
        (200, Some("channel another-channel is not current"))
    );
    let (status, _) = post_notification(&client, webhook, &[("x-goog-channel-token", token)]).await;
    assert_eq!(status, 400);
    assert_eq!(
        app.requests().len(),
        asked,
        "no forged notification reached Google"
    );
    assert_eq!(stored(&client, &service).await.len(), 3, "nothing stored");
    assert_eq!(notify(&calendar).await, [(channel.to_string(), 200)]);
    let last = stored(&client, &service).await.pop().unwrap();
    assert_eq!(
        last,
        json!({ "type": "created", "record": calendar.lock().unwrap().event("evt-5") })
    );

    // Unsubscribe: channels.stop with the channel's id and the watched resource's id.
    let deleted = client.delete(&subscription).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let stop = app.requests().pop().unwrap();
    assert_eq!(
        (
            stop.method.as_str(),
            stop.path.as_str(),
            stop.header("authorization")
        ),
        ("POST", STOP, Some(BEARER))
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&stop.body).unwrap(),
        json!({ "id": channel, "resourceId": RESOURCE_ID })
    );
    assert!(calendar.lock().unwrap().channels[0].stopped.is_some());
    assert!(notify(&calendar).await.is_empty(), "no channel left open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_opens_a_new_channel_before_stopping_the_old_so_no_change_is_missed() {
    // Channels live 4 s here (a week at Google): renewed at three quarters of their life.
    let (app, calendar) = google(4000);
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let created = open(&client, &service, &app).await;
    let first = calendar.lock().unwrap().channels[0].expiration;
    let next = created["nextRefreshTimestamp"].as_u64().unwrap();
    assert!(
        (first - 1000..=first - 900).contains(&next),
        "{next} for {first}"
    );

    // A change every 250 ms, each notified on every channel alive, across renewals.
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_millis(9500) {
        n += 1;
        calendar
            .lock()
            .unwrap()
            .put(&format!("evt-{n}"), "Sprint review");
        let delivered = notify(&calendar).await;
        assert!(!delivered.is_empty(), "change {n}: no channel open");
        assert!(
            delivered.iter().all(|(_, status)| *status == 200),
            "{delivered:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let all = events(&client, &service).await;
    let ids: Vec<&str> = all
        .iter()
        .map(|e| e["record"]["id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (1..=n).map(|i| format!("evt-{i}")).collect();
    assert_eq!(ids, expected, "each change exactly once, in order");
    assert!(all.iter().all(|e| e["type"] == "created"));

    let subscription = format!(
        "{}/api/subscriptions/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let (_, now) = get(&client, &subscription).await;
    let deleted = client.delete(&subscription).send().await.unwrap();
    assert_eq!(deleted.status(), 204);

    let c = calendar.lock().unwrap();
    assert!(
        c.channels.len() >= 3,
        "two renewals or more in 9.5 s: {}",
        c.channels.len()
    );
    assert_eq!(
        now["state"]["channelId"],
        c.channels.last().unwrap().id.as_str()
    );
    assert_eq!(
        now["state"]["token"],
        c.channels[0].token.as_str(),
        "the token is kept"
    );
    let stops: Vec<Value> = (app.requests().iter())
        .filter(|r| (r.method.as_str(), r.path.as_str()) == ("POST", STOP))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let ids: Vec<Value> = (c.channels.iter())
        .map(|ch| json!({ "id": ch.id, "resourceId": RESOURCE_ID }))
        .collect();
    assert_eq!(
        stops, ids,
        "each channel stopped once, in order, the last by unsubscribe"
    );
    for (old, new) in c.channels.iter().zip(&c.channels[1..]) {
        let stopped = old.stopped.unwrap();
        assert!(
            new.opened <= stopped,
            "{} opened before {} was stopped",
            new.id,
            old.id
        );
        assert!(
            stopped < old.expiration,
            "{} stopped before it expired: no gap",
            old.id
        );
        assert_eq!(new.token, old.token);
    }
    let syncs: Vec<(String, u16)> = c.channels.iter().map(|ch| (ch.id.clone(), 200)).collect();
    assert_eq!(c.syncs, syncs, "every channel's sync message acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidated_sync_token_falls_back_to_a_full_sync_of_what_changed() {
    let (app, calendar) = google(WEEK);
    {
        let mut c = calendar.lock().unwrap();
        c.put("evt-1", "Standup");
        c.put("evt-2", "Retro");
    }
    let (_dir, data) = data_dir();
    let client = client();
    let service = Service::shipped(&data, &[]);
    let created = open(&client, &service, &app).await;
    assert_eq!(created["state"]["syncToken"], sync_token(2));
    let asked = app.requests().len();
    {
        let mut c = calendar.lock().unwrap();
        c.oldest_valid = 3; // Google drops the tokens handed out so far
        c.put("evt-3", "Launch");
        c.put("evt-2", "Retro (moved)");
        c.cancel("evt-1");
    }
    wait_until("the sync message", || {
        !calendar.lock().unwrap().syncs.is_empty()
    })
    .await;
    let channel = calendar.lock().unwrap().channels[0].id.clone();
    assert_eq!(notify(&calendar).await, [(channel, 200)]);

    // 410 Gone, then every event with deleted ones, then only those changed are reported.
    let requests = app.requests();
    assert_eq!(requests.len(), asked + 3, "{requests:#?}");
    let since = sync_token(2);
    assert_list(
        &requests[asked],
        &[("syncToken", &since), ("maxResults", "2500")],
    );
    assert_list(
        &requests[asked + 1],
        &[("showDeleted", "true"), ("maxResults", "2500")],
    );
    let page = [
        ("showDeleted", "true"),
        ("maxResults", "2500"),
        ("pageToken", "page-2"),
    ];
    assert_list(&requests[asked + 2], &page);
    let expected = {
        let c = calendar.lock().unwrap();
        vec![
            json!({ "type": "created", "record": c.event("evt-3") }),
            json!({ "type": "updated", "record": c.event("evt-2") }),
            json!({ "type": "deleted", "record": c.event("evt-1") }),
        ]
    };
    assert_eq!(stored(&client, &service).await, expected);
    let url = format!(
        "{}/api/subscriptions/{}",
        service.url,
        created["id"].as_str().unwrap()
    );
    let (_, now) = get(&client, url).await;
    assert_eq!(
        now["state"]["syncToken"],
        sync_token(5),
        "incremental again from here"
    );
}

/// `handle` while subscribe runs (the subscription's state still empty), through `invoke`.
fn handle_pending(resource_state: &str) -> Value {
    let input = json!({ "state": {}, "parameters": { "calendarId": CALENDAR }, "query": {}, "data": null,
        "rawBody": "", "headers": { "x-goog-channel-id": "c-1", "x-goog-channel-token": "t",
        "x-goog-resource-id": RESOURCE_ID, "x-goog-resource-state": resource_state } });
    common::invoke("google-calendar", "event-changes", "handle", &input)
}

#[test]
fn before_subscribe_returns_sync_is_acknowledged_and_a_change_is_deferred() {
    let sync = handle_pending("sync");
    assert_eq!(sync, json!({ "events": [], "response": { "status": 200 } }));
    let exists = handle_pending("exists");
    let deferred = json!({ "status": 503, "data": { "error": "subscription not ready yet" } });
    assert_eq!(
        exists,
        json!({ "events": [], "response": deferred }),
        "Google retries 503"
    );
}

#[test]
fn the_fake_shows_expirations_as_google_does() {
    // The X-Goog-Channel-Expiration of the sample delivery in Google's push guide.
    assert_eq!(
        http_date(1_384_823_632_000),
        "Tue, 19 Nov 2013 01:13:52 GMT"
    );
    assert_eq!(
        http_date(1_709_251_199_000),
        "Thu, 29 Feb 2024 23:59:59 GMT"
    );
}
