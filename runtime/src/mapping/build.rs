//! `buildValue`: the walk over a template. Objects and arrays are rebuilt without the entries that
//! yield nothing (and yield nothing when none is left; empty literals stay as they are), formula
//! objects dispatch to their formula, scalars are literals. Errors collect their template path on
//! the way out.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::catalog::{self, Formula, Shape};
use super::value::{Built, Scope, Val};
use super::{MAX_TEMPLATE_DEPTH, MappingError, js};

pub(super) type Result<T> = std::result::Result<T, MappingError>;

/// One evaluation: its recursion depth and what its formulas remember within it.
pub(super) struct Builder {
    depth: usize,
    /// `$formula` rewrites its own arguments; keyed by the address of the formula's object.
    pub(super) rewritten: HashMap<*const Value, Value>,
    /// How many values being rewritten by `$formula` are being built (they have no stable address).
    pub(super) temporaries: usize,
    /// The root variables as JSONata values, converted on the first `$jsonata`.
    pub(super) jsonata_root: Option<jsonata_core::value::JValue>,
}

thread_local! {
    static DEADLINE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// The deadline of the evaluation running on this thread, cleared when the guard drops.
pub(super) struct Deadline;

impl Deadline {
    pub(super) fn arm(deadline: Option<std::time::Instant>) -> Deadline {
        DEADLINE.with(|d| d.set(deadline));
        Deadline
    }

    /// `Err` once the deadline has passed.
    pub(super) fn check() -> Result<()> {
        let passed = DEADLINE
            .with(|d| d.get())
            .is_some_and(|at| std::time::Instant::now() >= at);
        if passed {
            Err(MappingError::Deadline)
        } else {
            Ok(())
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(None));
    }
}

impl Builder {
    pub(super) fn new() -> Self {
        Builder {
            depth: 0,
            rewritten: HashMap::new(),
            temporaries: 0,
            jsonata_root: None,
        }
    }

    pub(super) fn build<'v>(&mut self, t: &'v Value, scope: &Scope<'v, '_>) -> Result<Built<'v>> {
        Deadline::check()?;
        if self.depth >= MAX_TEMPLATE_DEPTH {
            return Err(MappingError::TemplateTooDeep {
                path: Vec::new(),
                limit: MAX_TEMPLATE_DEPTH,
            });
        }
        self.depth += 1;
        let built = self.build_inner(t, scope);
        self.depth -= 1;
        built
    }

    /// `buildValue(t)` where `t` may be `undefined`.
    pub(super) fn build_opt<'v>(
        &mut self,
        t: Option<&'v Value>,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        match t {
            Some(t) => self.build(t, scope),
            None => Ok(None),
        }
    }

    /// Builds `t`, naming `segment` in the path of any error.
    pub(super) fn build_at<'v>(
        &mut self,
        t: Option<&'v Value>,
        scope: &Scope<'v, '_>,
        segment: &str,
    ) -> Result<Built<'v>> {
        self.build_opt(t, scope).map_err(|e| e.within(segment))
    }

    fn build_inner<'v>(&mut self, t: &'v Value, scope: &Scope<'v, '_>) -> Result<Built<'v>> {
        match t {
            Value::Object(map) => match catalog::shape(map) {
                Shape::Data => self.build_object(t, map, scope),
                Shape::Formula(f, args) => self
                    .formula(f, args, t, scope)
                    .map_err(|e| e.within(f.key())),
                Shape::Broken(key) => Err(catalog::broken(key)),
            },
            Value::Array(items) if !items.is_empty() => self.build_array(items, scope),
            _ => Ok(Some(Val::Ref(t))),
        }
    }

    fn build_object<'v>(
        &mut self,
        t: &'v Value,
        map: &'v Map<String, Value>,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        if map.is_empty() {
            return Ok(Some(Val::Ref(t)));
        }
        let mut out = Map::new();
        for (key, value) in js::entries(map) {
            let built = self.build(value, scope).map_err(|e| e.within(key))?;
            if let Some(v) = built {
                out.insert(key.clone(), v.into_owned());
            }
        }
        Ok((!out.is_empty()).then_some(Val::Own(Value::Object(out))))
    }

    fn build_array<'v>(&mut self, items: &'v [Value], scope: &Scope<'v, '_>) -> Result<Built<'v>> {
        let built = self.build_items(items, scope)?;
        let out: Vec<Value> = built.into_iter().map(Val::into_owned).collect();
        Ok((!out.is_empty()).then_some(Val::Own(Value::Array(out))))
    }

    /// The items of an array template that yield something, each still borrowed where it can be.
    pub(super) fn build_items<'v>(
        &mut self,
        items: &'v [Value],
        scope: &Scope<'v, '_>,
    ) -> Result<Vec<Val<'v>>> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let Some(v) = self.build(item, scope).map_err(|e| e.within(i))? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// `buildValue(t)` when the caller wants a list: `Some(items)` if it yields an array.
    /// A literal array keeps its items borrowed; `[]` and all-dropped lists give `Some(vec![])`
    /// and `None` as `buildValue` would (`[]` stays, the other is `undefined`). `segment` (if not
    /// empty) names `t` in error paths.
    pub(super) fn build_list<'v>(
        &mut self,
        t: Option<&'v Value>,
        scope: &Scope<'v, '_>,
        segment: &str,
    ) -> Result<Option<Vec<Val<'v>>>> {
        let at = |e: MappingError| {
            if segment.is_empty() {
                e
            } else {
                e.within(segment)
            }
        };
        match t {
            Some(Value::Array(items)) if !items.is_empty() => {
                let built = self.build_items(items, scope).map_err(at)?;
                Ok((!built.is_empty()).then_some(built))
            }
            _ => match self.build_opt(t, scope).map_err(at)? {
                Some(Val::Ref(Value::Array(items))) => {
                    Ok(Some(items.iter().map(Val::Ref).collect()))
                }
                Some(Val::Own(Value::Array(items))) => {
                    Ok(Some(items.into_iter().map(Val::Own).collect()))
                }
                _ => Ok(None),
            },
        }
    }

    fn formula<'v>(
        &mut self,
        f: Formula,
        args: &'v Value,
        whole: &'v Value,
        scope: &Scope<'v, '_>,
    ) -> Result<Built<'v>> {
        match f {
            Formula::Var => super::formulas::var(args, scope),
            Formula::Plain => Ok(Some(Val::Ref(args))),
            Formula::Record => Ok(super::formulas::record(args)),
            Formula::DataSchemaRef => Ok(None),
            Formula::Copy
            | Formula::Lookup
            | Formula::FindAppRecordId
            | Formula::FindExternalRecordId => self.wrapper(f, args, scope),
            Formula::Tpl => self.tpl(args, scope),
            Formula::Concat => self.concat(args, scope),
            Formula::FirstNotEmpty => self.first_not_empty(args, scope),
            Formula::And | Formula::Or => self.and_or(f, args, scope),
            Formula::MergeObjects => self.merge_objects(args, scope),
            Formula::Map => self.map(args, scope),
            Formula::DomainFromEmail => self.domain_from_email(args, scope),
            Formula::FirstName | Formula::LastName => self.name_part(f, args, scope),
            Formula::ExtractDate | Formula::ExtractTime => self.extract_date_time(f, args, scope),
            Formula::Case => self.case(args, scope),
            Formula::Eval => self.eval(args, whole, scope),
            Formula::Iterate => self.iterate(args, scope),
            Formula::Partial => self.partial(args, whole, scope),
            Formula::Jsonata => self.jsonata(args, scope),
        }
    }
}
