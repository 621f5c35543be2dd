//! A webhook request as `handle` receives it. The sandbox makes these members of the method's
//! argument itself, beside the invocation's JSON `args`, with no JSON value in between: the body
//! goes in as the one string the host keeps (hashing it reads the host's UTF-8), and a JSON body
//! becomes `data` member by member as the method reads it.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

/// The request members of `handle`'s argument, defined in the order of the fields below (the
/// order connector code has always seen them in).
#[derive(Clone, Debug)]
pub struct Webhook {
    /// `query`: repeated keys as arrays.
    pub query: Json,
    /// `headers`, in order: names lowercased, a repeated header's values joined with ", " (as
    /// Node does).
    pub headers: Vec<(String, String)>,
    /// `rawBody`: the exact body text.
    pub raw_body: Arc<str>,
    /// `data`, and `body`, its alias (defined last).
    pub data: Data,
    /// `method`: the HTTP method.
    pub method: String,
    /// `webhookUri`: the URI the request came to.
    pub uri: String,
}

/// How `data` is made.
#[derive(Clone, Debug)]
pub enum Data {
    /// `JSON.parse(rawBody)`, made where the method runs, a large object member by member as it
    /// is read: cheaper than building it value by value. The caller has checked that `rawBody`
    /// is JSON.
    FromRawBody,
    /// Made by the caller (a form, text, `null` for no body).
    Value(Json),
}

impl Webhook {
    /// A POST of the JSON text `raw_body`, with no query and no headers.
    pub fn json(raw_body: &str) -> Self {
        Webhook {
            method: "POST".into(),
            query: Json::Object(Map::new()),
            headers: Vec::new(),
            raw_body: Arc::from(raw_body),
            data: Data::FromRawBody,
            uri: String::new(),
        }
    }

    /// `data` as JSON (`null` for a body that is not JSON after all).
    pub fn data_json(&self) -> Json {
        match &self.data {
            Data::FromRawBody => serde_json::from_str(&self.raw_body).unwrap_or(Json::Null),
            Data::Value(value) => value.clone(),
        }
    }

    /// Adds the members to `args`, for what runs outside a sandbox (a mapping).
    pub fn add_to(&self, args: &mut Map<String, Json>) {
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), Json::String(value.clone())));
        let data = self.data_json();
        args.insert("query".into(), self.query.clone());
        args.insert("headers".into(), Json::Object(headers.collect()));
        args.insert("rawBody".into(), Json::String(self.raw_body.to_string()));
        args.insert("data".into(), data.clone());
        args.insert("method".into(), Json::String(self.method.clone()));
        args.insert("webhookUri".into(), Json::String(self.uri.clone()));
        args.insert("body".into(), data);
    }
}
